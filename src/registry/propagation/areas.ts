import type { Facility } from '../../domain/facility.js';
import { BusinessRuleError } from '../../domain/errors.js';
import type { FacilityCapability } from '../../routing/ports.js';

/**
 * The system's area a registry facility's parent corresponds to. Each system keeps its own area
 * tree (OpenLMIS geographic zones, DHIS2 org units above the facility level, OpenMRS parent
 * locations) with its own ids. The parent is found there by a stable key first: the registry
 * jurisdiction's codes, which the systems that keep areas carry on them (the OpenLMIS zone code,
 * the DHIS2 org unit code). A name is what a renamed district changes, so it is only the
 * fallback (a system whose areas carry no registry code): the registry jurisdiction's name, else
 * the nearest name of the facility's area path. No area found is reported as a field the system
 * could not take: an existing record keeps its parent, a new one is created without one (where
 * the system allows that: OpenMRS; OpenLMIS and DHIS2 refuse the create instead).
 */
export interface AreaLookup {
  id?: string;
  unsupported?: Record<string, string>;
  /** The parent sought and not found, in words (a system that refuses a create without one says it). */
  missing?: string;
}

/** What propagation knows of a registry jurisdiction (the last version seen). */
export interface RegistryArea {
  name?: string;
  /** The jurisdiction's identifier values (its registry code among them). */
  codes: string[];
}

const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base' }) === 0;

/** The id of the system's area of that name (any case), or undefined. */
export async function findArea(capability: FacilityCapability, name: string): Promise<string | undefined> {
  return (await findAreas(capability, name))[0]?.id;
}

/**
 * Every area of the system with that name (any case): a system's search by name is wider (starts
 * with, a word of the name), so the exact name is kept here. Also the resolver of a client write's
 * parent in a system other than the one it names (routing/facility-parent.ts), which needs to know
 * when a name is ambiguous.
 */
export async function findAreas(capability: FacilityCapability, name: string): Promise<Facility[]> {
  const { items } = await capability.search({ name, kind: 'area' });
  return items.filter((f) => f.kind === 'area' && !!f.id && same(f.name, name));
}

/** The id of the system's area carrying that code (in any of its identifier systems), or undefined. */
export async function findAreaByCode(capability: FacilityCapability, code: string): Promise<string | undefined> {
  const { items } = await capability.search({ identifier: { value: code } });
  return items.find((f) => f.kind === 'area' && f.identifiers.some((i) => i.value === code))?.id;
}

export interface AreaFinders {
  /** The system's area of a name (findArea, usually behind a cache). */
  byName(name: string): Promise<string | undefined>;
  /** The system's area of a code (findAreaByCode, usually behind a cache). */
  byCode(code: string): Promise<string | undefined>;
}

export async function systemArea(
  capability: FacilityCapability,
  facility: Facility,
  registryArea: (registryId: string) => Promise<RegistryArea | undefined>,
  find: AreaFinders,
  /** The write creates the record: there is no earlier parent to leave as it was. */
  creating = false,
): Promise<AreaLookup> {
  if (capability.cannotKeep?.parent) return {};
  const parent = facility.partOf ? await registryArea(facility.partOf) : undefined;
  for (const code of parent?.codes ?? []) {
    const id = await find.byCode(code);
    if (id) return { id };
  }
  const names = [parent?.name, ...(facility.areaPath?.slice(0, 1) ?? [])].filter((n): n is string => !!n);
  for (const name of names) {
    const id = await find.byName(name);
    if (id) return { id };
  }
  const missing = missingParent(facility.partOf, parent, names);
  if (!missing) return {};
  const outcome = creating ? 'it is created without a parent' : 'its parent is left as it was';
  return { missing, unsupported: { parent: `${missing} in this system: ${outcome}` } };
}

/**
 * What was sought, in words, or nothing when the registry names no parent at all. A parent the
 * registry names but never published (a facility pushed before its district, a typo in partOf)
 * used to be passed over without a word: OpenMRS made a top-level location and said nothing,
 * OpenLMIS and DHIS2 refused with "its area (none)", though the registry had named one.
 */
function missingParent(partOf: string | undefined, parent: RegistryArea | undefined, names: string[]) {
  if (names.length > 0) {
    const codes = parent?.codes.length ? ` or code ${parent.codes.join(', ')}` : '';
    return `no area named ${names[0]}${codes}`;
  }
  return partOf ? `no area for registry parent ${partOf}, ${UNPUBLISHED}` : undefined;
}

/** What a write reports of a parent the registry had not published (looked for by moveUnderPublished). */
export const UNPUBLISHED = 'a jurisdiction the registry has not published';

/**
 * Whether a write's report says the parent was not found because the registry had not published
 * it (not because the system has no such area): publishing it lets a new write place the record.
 */
export function parentWasUnpublished(unsupported: Record<string, string> | undefined): boolean {
  return unsupported?.parent?.includes(UNPUBLISHED) ?? false;
}

/**
 * A create the system refused while propagation had found no parent for it says which parent it
 * looked for: OpenLMIS (a zone) and DHIS2 (a parent org unit) refuse a new record without one,
 * and the connector, given none, can only say "(none)".
 */
export function withMissingParent(err: unknown, missing: string | undefined): unknown {
  if (!missing || !(err instanceof BusinessRuleError)) return err;
  const issue = err.issues[0];
  return new BusinessRuleError(`${err.message}; ${missing} in this system`, issue?.expression);
}
