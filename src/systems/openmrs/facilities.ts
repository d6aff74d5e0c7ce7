import { BusinessRuleError } from '../../domain/errors.js';
import { shownValue } from '../../config/shown-value.js';
import type { Facility } from '../../domain/index.js';
import { inRanges } from '../../domain/instant-range.js';
import { facilityMatches } from '../../domain/facility-search.js';
import type { FacilityCapability, SearchCriteria, StepJournal, WriteResult } from '../../routing/ports.js';
import { getOrAbsent } from '../../upstream/lookup.js';
import { REST, type OpenMrsClient, type OpenMrsRequest } from './client.js';
import { checkChangeAnswer, checkRetireAnswer } from './change-answer.js';
import { OPENMRS, answered } from './errors.js';
import {
  LOCATION_REP,
  decodeLocation,
  positionOf,
  encodeLocation,
  isFacilityLocation,
  registryAttributeOf,
  registryCodeOf,
  type CodecSettings,
} from './location-codec.js';
import { objectAnswer, sameUuid } from './object-answer.js';
import type { OpenMrsReference } from './reference.js';
import { readsEndWith } from '../../upstream/attempt-scope.js';

/**
 * Locations served from OpenMRS REST (`/ws/rest/v1/location`), read live with a custom
 * representation, and written for registry propagation: create, update, retire and unretire,
 * the registry code carried by the location attribute the settings name. Retired locations are
 * always asked for (`includeAll=true`) so an incremental sync sees deactivations, which FHIR2
 * hides from every search. Writes are never replayed by the transport: a write whose answer was
 * lost is retried by the outbox, whose next attempt reads the location first and sends only what
 * is still missing, so each change reaches OpenMRS once.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The search's criteria, and when it last changed: OpenMRS keeps that of every location. */
const matches = (f: Facility, c: SearchCriteria): boolean =>
  facilityMatches(f, c) && inRanges(f.lastUpdated, c.lastUpdated);

/** Does the location already hold every field of the update (so sending it would change nothing)? */
function sameFields(body: Json, existing: Json): boolean {
  return Object.entries(body).every(([k, v]) => {
    if (k === 'tags')
      return (v as string[]).every((t) => (existing.tags ?? []).some((x: Json) => x.uuid === t || x.name === t));
    if (k === 'parentLocation') return existing.parentLocation?.uuid === v;
    // "36.6830" and 36.683 are the same place: do not rewrite a coordinate for its trailing zero
    if (k === 'latitude' || k === 'longitude')
      return positionOf(existing.latitude, existing.longitude) !== undefined && Number(existing[k]) === Number(v);
    return (existing[k] ?? null) === v;
  });
}

export function createFacilityCapability(client: OpenMrsClient, reference: OpenMrsReference): FacilityCapability {
  const codec = (): CodecSettings => client.settings();
  const rep = { v: LOCATION_REP };

  /**
   * A location by uuid. OpenMRS falls back to a lookup by name when no uuid matches, so the
   * answer's uuid is checked; an answer with none is no location (objectAnswer: transient). The
   * check ignores case as OpenMRS's lookup does: `Location/<UUID IN CAPITALS>` is that location,
   * answered with its own lower-case uuid, not "none".
   */
  const fetchLocation = async (uuid: string): Promise<Json | undefined> => {
    if (!UUID.test(uuid)) return undefined;
    const path = `${REST}/location/${uuid}`;
    const loc = objectAnswer(await getOrAbsent<Json, OpenMrsRequest>(client, { path, query: rep }), path, uuid);
    return loc && sameUuid(String(loc.uuid), uuid) ? loc : undefined;
  };

  /** Every location, retired ones included, narrowed by name on the server when asked. */
  const allLocations = (): Promise<Json[]> =>
    client.all<Json>({ path: `${REST}/location`, query: { ...rep, includeAll: true } });

  const facilitiesOf = (locations: Json[]) =>
    locations.filter((l) => isFacilityLocation(l, codec().facilityTags)).map((l) => decodeLocation(l, codec()));
  const areasOf = (locations: Json[]) =>
    locations.map((l) => decodeLocation(l, codec())).filter((f) => f.kind === 'area');

  /** The location carrying this registry code (live, retired included): how a retry finds what an earlier attempt created. */
  const findByCode = async (code: string): Promise<Json | undefined> =>
    (await allLocations()).find((l) => {
      const a = registryAttributeOf(l, codec());
      return a && String(typeof a.value === 'object' ? a.value?.display : a.value).trim() === code;
    });

  /**
   * The OpenMRS location `partOf` names. One OpenMRS does not have is refused before anything is
   * written: left out, the location would be created (or kept) under no parent, or its old one,
   * while the answer said it was written (propagation passes only a parent it found in OpenMRS).
   */
  const parentOf = async (facility: Facility): Promise<Json> => {
    const parent = await fetchLocation(facility.partOf!);
    if (parent) return parent;
    throw new BusinessRuleError(
      `facility ${facility.name}: its parent Location/${facility.partOf} is not an OpenMRS location (partOf names the OpenMRS uuid of a location); nothing was written`,
      'Location.partOf',
    );
  };

  const writeBody = async (facility: Facility, existing: Json | undefined): Promise<Json> => {
    const parent = facility.partOf ? await parentOf(facility) : undefined;
    const existingTags = ((existing?.tags ?? []) as Json[]).map((t) => String(t.uuid));
    const hasFacilityTag = existing ? isFacilityLocation(existing, codec().facilityTags) : false;
    return encodeLocation(facility, {
      existingTags,
      facilityTag: hasFacilityTag ? undefined : codec().facilityTags[0],
      parentUuid: parent?.uuid,
    });
  };

  /** Sets the registry code attribute through the attribute sub-resource (an update's `attributes` would add a second one). */
  const ensureCode = async (loc: Json, code: string, typeUuid: string): Promise<boolean> => {
    const current = registryAttributeOf(loc, codec());
    const value = current
      ? String(typeof current.value === 'object' ? current.value?.display : current.value).trim()
      : undefined;
    if (value === code) return false;
    if (current) {
      const path = `${REST}/location/${loc.uuid}/attribute/${current.uuid}`;
      const answer = await client.send({ method: 'POST', path, body: { value: code } });
      checkChangeAnswer(answer, `POST ${path}`, String(current.uuid));
    } else {
      const path = `${REST}/location/${loc.uuid}/attribute`;
      const answer = await client.send({ method: 'POST', path, body: { attributeType: typeUuid, value: code } });
      checkChangeAnswer(answer, `POST ${path}`);
    }
    return true;
  };

  /** Retire with a reason, or unretire, when the location is not already so. */
  const ensureStatus = async (uuid: string, facility: Facility): Promise<string | undefined> => {
    const loc = await fetchLocation(uuid);
    const retire = facility.status !== 'active';
    if (!loc || (loc.retired === true) === retire) return undefined;
    if (retire) {
      const path = `${REST}/location/${uuid}`;
      const query = { reason: `${facility.status} in the facility registry` };
      checkRetireAnswer(await client.send({ method: 'DELETE', path, query }), `DELETE ${path}`);
      return 'retired';
    }
    const path = `${REST}/location/${uuid}`;
    checkChangeAnswer(await client.send({ method: 'POST', path, body: { retired: false } }), `POST ${path}`, uuid);
    return 'unretired';
  };

  return {
    // a location's tags say what it is for, not a facility type (registry.md §1)
    cannotKeep: { type: 'OpenMRS locations have no facility type (tags say what a location is used for)' },
    async get(id) {
      const loc = await fetchLocation(id);
      return loc ? decodeLocation(loc, codec()) : undefined;
    },
    async search(criteria) {
      if (criteria.ids?.length) {
        const found = await Promise.all(criteria.ids.map(fetchLocation));
        return {
          items: found
            .filter((l): l is Json => !!l)
            .map((l) => decodeLocation(l, codec()))
            .filter((f) => matches(f, criteria)),
        };
      }
      // the name is matched here, not sent as `q`: OpenMRS's name match need not ignore accents
      // (that rests on its database's collation), so "Hopital" could miss "Hôpital"
      const listed = await allLocations();
      // its areas (locations without a facility tag) only when asked for: the mediator's parent look-ups
      const items = criteria.kind === 'area' ? areasOf(listed) : facilitiesOf(listed);
      return { items: items.filter((f) => matches(f, criteria)) };
    },
    listAll(signal?: AbortSignal) {
      return readsEndWith(signal, async () => facilitiesOf(await allLocations()));
    },
    // upsert finds the location by its uuid, else by the registry code: the code first here, so a
    // write by code and one by uuid that carries the code are one location's, in order
    writeKey: (facility) => {
      const code = registryCodeOf(facility, codec().registryCodeSystem);
      if (code) return `code|${code}`;
      // in lower case: OpenMRS finds one location under both spellings, so both are one writer's
      return facility.id && UUID.test(facility.id) ? `uuid|${facility.id.toLowerCase()}` : undefined;
    },
    async upsert(facility: Facility, journal: StepJournal): Promise<WriteResult> {
      if (facility.kind === 'area')
        throw new BusinessRuleError(
          'OpenMRS locations written by the mediator are facilities; administrative areas are not propagated to OpenMRS',
          'Location.type',
        );
      const s = codec();
      const code = registryCodeOf(facility, s.registryCodeSystem);
      const byId = facility.id && UUID.test(facility.id) ? facility.id : undefined;
      if (!code && !byId) {
        throw new BusinessRuleError(
          `facility ${facility.name} has no identifier in ${s.registryCodeSystem} (the registry code OpenMRS keeps as ${shownValue(s.registryCodeAttributeType, 'name')}) and no OpenMRS location id`,
          'Location.identifier',
        );
      }
      const type = code ? await reference.registryCodeType() : undefined;
      // One step: find (by id, else by code, retired included) then create or update. A create whose
      // answer was lost carries the code attribute, so the retry finds it instead of creating a twin.
      const saved = await journal.run('upsert-location', async () => {
        const existing = (byId ? await fetchLocation(byId) : undefined) ?? (code ? await findByCode(code) : undefined);
        // OpenMRS gives a new location a uuid of its own (uuid is not a creatable property): made
        // from the id alone, neither a retry after a lost answer nor the next write of the id
        // could find it, and each would create a twin; the registry code is what finds it again
        if (!existing && !code)
          throw new BusinessRuleError(
            `facility ${facility.name}: location ${byId} is not in OpenMRS and the facility has no identifier in ${s.registryCodeSystem}; OpenMRS would give a new location a uuid of its own, which the next write of ${byId} could not find (a second location): send the registry code to create it`,
            'Location.identifier',
          );
        const body = await writeBody(facility, existing);
        if (!existing) {
          const created = await client.send<Json>({
            method: 'POST',
            path: `${REST}/location`,
            body: code ? { ...body, attributes: [{ attributeType: type!.uuid, value: code }] } : body,
          });
          return { uuid: answered(created, 'uuid', 'POST location'), status: 'created' };
        }
        const changed = !sameFields(body, existing);
        if (changed) {
          const path = `${REST}/location/${existing.uuid}`;
          checkChangeAnswer(await client.send({ method: 'POST', path, body }), `POST ${path}`, String(existing.uuid));
        }
        const coded = code ? await ensureCode(existing, code, type!.uuid) : false;
        return { uuid: String(existing.uuid), status: changed || coded ? 'updated' : 'unchanged' };
      });
      const changed = await journal.run('location-status', () => ensureStatus(saved.uuid, facility));
      return { system: OPENMRS, ids: { location: saved.uuid }, status: changed ?? saved.status };
    },
  };
}
