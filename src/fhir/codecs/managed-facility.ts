import { InvalidInputError } from '../../domain/errors.js';
import type { FacilityRef } from '../../domain/identifiers.js';
import type { Json } from './common.js';
import { facilityRefFromFhir } from './common.js';

/**
 * A facility reference as guides send it (issue 16): besides `Location/<id>` or an identifier,
 * an Organization (mCSD pairs each facility Organization with the Location it manages,
 * Location.managingOrganization; IHE ITI-90 mCSD "Facility") or a contained Location.
 *
 * - `#loc`, a contained Location: that Location, by its identifier.
 * - `#org` (a contained Organization) or `Organization/<id>`: the one Location contained in the
 *   same resource whose managingOrganization points to it. None, or several, is a 422 naming the
 *   reference and saying which (an Organization may manage several sites; the mediator will not
 *   guess among them).
 *
 * Everything else is what facilityRefFromFhir reads.
 */
export function managedFacilityRef(container: Json, ref: Json | undefined, path: string): FacilityRef | undefined {
  const reference = typeof ref?.reference === 'string' ? ref.reference : undefined;
  if (!reference || !(reference.startsWith('#') || isOrganization(reference))) return facilityRefFromFhir(ref, path);
  const contained: Json[] = Array.isArray(container.contained) ? container.contained : [];
  if (reference.startsWith('#')) {
    const target = contained.find((c) => c?.id === reference.slice(1));
    if (!target) throw refused(`${path}.reference '${reference}' names no contained resource`, `${path}.reference`);
    if (target.resourceType === 'Location') return containedLocation(target, path);
    if (target.resourceType !== 'Organization')
      throw refused(
        `${path}.reference '${reference}' is a contained ${String(target.resourceType)}: a facility is a Location, or the Organization that manages one`,
        `${path}.reference`,
      );
  }
  const managed = contained.filter(
    (c) => c?.resourceType === 'Location' && sameReference(c.managingOrganization?.reference, reference),
  );
  if (managed.length !== 1)
    throw refused(
      managed.length
        ? `${path}.reference '${reference}' is an Organization managing ${managed.length} Locations (${managed.map((l) => `#${String(l.id)}`).join(', ')}): name the facility's Location itself`
        : `${path}.reference '${reference}' is an Organization, and no Location in this resource names it as its managingOrganization: contain the facility's Location (managingOrganization → this Organization) or reference the Location`,
      `${path}.reference`,
    );
  return containedLocation(managed[0], path);
}

/** A contained Location stands for the facility by its identifier (it has no id on any server). */
function containedLocation(location: Json, path: string): FacilityRef {
  const identifier = (location.identifier ?? []).find((i: Json) => i?.value);
  if (!identifier)
    throw refused(
      `the contained Location '#${String(location.id)}' that ${path} stands for has no identifier: the mediator finds the facility by its identifier`,
      `${path}.reference`,
    );
  return facilityRefFromFhir({ identifier, display: location.name ?? location.display }, path)!;
}

const ORGANIZATION_REFERENCE = /^(?:https?:\/\/[^\s]+\/)?Organization\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * `Organization/<id>`, relative or absolute. The pattern is asked only of a text holding
 * `Organization/`, which each of its matches does: nearly every facility reference is a
 * `Location/<id>`, and each entered the regex engine for this (issue 18).
 */
function isOrganization(reference: string): boolean {
  return reference.includes('Organization/') && ORGANIZATION_REFERENCE.test(reference);
}

/** `Organization/x` and `[base]/Organization/x` are the same Organization; `#org` only itself. */
function sameReference(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  if (a === b) return true;
  const tail = (s: string) => /Organization\/[^/]+$/.exec(s)?.[0];
  return !a.startsWith('#') && !b.startsWith('#') && !!tail(a) && tail(a) === tail(b);
}

function refused(diagnostics: string, expression: string): InvalidInputError {
  return new InvalidInputError(diagnostics, expression, 422, 'value');
}
