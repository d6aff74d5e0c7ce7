import { BusinessRuleError } from '../../domain/errors.js';
import type { Facility } from '../../domain/index.js';
import { inRanges, narrowest } from '../../domain/instant-range.js';
import { facilityMatches } from '../../domain/facility-search.js';
import type { FacilityCapability, SearchCriteria, StepJournal, WriteResult } from '../../routing/ports.js';
import type { UpstreamRequest } from '../../upstream/client.js';
import { getOrAbsent } from '../../upstream/lookup.js';
import type { Dhis2Client } from './client.js';
import { DHIS2_CODE_SYSTEM, DHIS2_ID_SYSTEM, DHIS2_SYSTEM, deterministicUid, isUid } from './identifiers.js';
import {
  decodeOrgUnit,
  encodeOrgUnit,
  leafAboveLevel,
  orgUnitCodeOf,
  orgUnitFields,
  unchangedOrgUnit,
  type DecodeContext,
} from './orgunit-codec.js';
import { OrgUnitLists } from './org-unit-lists.js';
import { listAnswer, noBodyAnswer, withIdAnswer } from './page-answer.js';
import { serverWallTime, serverWallTimeUpTo, wallTimeIn } from './server-time.js';
import { readsEndWith } from '../../upstream/attempt-scope.js';

/**
 * Locations served from DHIS2 organisation units: read and searched live with the server's own
 * filters (`filter=property:operator:value`, docs.dhis2.org developer/web-api metadata.md "Object
 * filter"), a page at a time, then matched exactly here with the FHIR meaning; created, updated
 * and closed for registry propagation under a UID chosen by the mediator.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;
const PATH = '/api/organisationUnits';

/** The search's criteria, and when it last changed: DHIS2 keeps that of every org unit. */
const matches = (f: Facility, c: SearchCriteria): boolean =>
  facilityMatches(f, c) && inRanges(f.lastUpdated, c.lastUpdated);

/**
 * The server-side filters whose result is a superset of the FHIR matches; undefined when no org
 * unit can match (an identifier system or a partOf DHIS2 cannot hold). Several for an identifier
 * without a system: it may be a UID or a code.
 */
function filtersFor(c: SearchCriteria, zone: string): string[][] | undefined {
  // the name is matched here only: DHIS2's `name:ilike:` keeps accents ("Hopital" misses
  // "Hôpital") and sees neither the shortName (an alias) nor word starts, so it is no superset
  const base: string[] = [];
  if (c.partOf) {
    if (!isUid(c.partOf)) return undefined;
    base.push(`parent.id:eq:${c.partOf}`);
  }
  if (c.status === 'active') base.push('closedDate:null');
  else if (c.status === 'inactive') base.push('closedDate:!null');
  else if (c.status) return undefined;
  if (c.type && /^\d+$/.test(c.type)) base.push(`level:eq:${c.type}`);
  const { from, to } = narrowest(c.lastUpdated);
  // DHIS2 compares them with its wall time in the server's zone (serverWallTime); an upper bound
  // in an hour a clock change repeats takes in the whole hour (serverWallTimeUpTo)
  if (from) base.push(`lastUpdated:ge:${serverWallTime(from, zone)}`);
  if (to) base.push(`lastUpdated:le:${serverWallTimeUpTo(to, zone)}`);
  if (!c.identifier) return [base];
  const { system, value } = c.identifier;
  const byId = isUid(value) ? [[...base, `id:eq:${value}`]] : [];
  const byCode = [[...base, `code:eq:${value}`]];
  if (system === DHIS2_ID_SYSTEM) return byId.length ? byId : undefined;
  if (system === DHIS2_CODE_SYSTEM) return byCode;
  if (system) return undefined;
  return [...byId, ...byCode];
}

export interface FacilityOptions {
  /** Registry (MFR) id → DHIS2 org unit UID, from the crosswalk. */
  crosswalk?: (registryId: string) => Promise<string | undefined>;
  /** Whether the crosswalk links this org unit UID to a registry facility (or holds the pair for review). */
  linked?: (uid: string) => Promise<boolean>;
  /** Today as yyyy-MM-dd (tests fix it); else the server's date, in its zone. */
  today?: () => string;
  /** The lists searches read, kept for their next pages (the connector's, cleared on a reconfigure). */
  lists?: OrgUnitLists;
}

export interface OrgUnitReader {
  /** The org unit (raw JSON) with this UID, or undefined. */
  byId(uid: string): Promise<Json | undefined>;
  byCode(code: string): Promise<Json | undefined>;
  /**
   * What decoding an org unit needs besides the zone, which each read asks itself (serverZoneNow):
   * the zone the process knew first puts lastUpdated hours off after DHIS2 restarted elsewhere.
   */
  decodeContext(): Promise<Omit<DecodeContext, 'zone'>>;
  clear(): void;
}

export function createOrgUnitReader(client: Dhis2Client): OrgUnitReader {
  let levels: Promise<Map<number, string>> | undefined;
  const fields = async () => orgUnitFields((await client.features()).geometry);
  return {
    async byId(uid) {
      if (!isUid(uid)) return undefined;
      const path = `${PATH}/${uid}`;
      return getOrAbsent<Json, UpstreamRequest>(
        client,
        { path, query: { fields: await fields() }, decodeAnswer: withIdAnswer(path, uid) },
        [404],
        noBodyAnswer(path),
      );
    },
    async byCode(code) {
      const page = await client.call<Json>({
        method: 'GET',
        path: PATH,
        query: { fields: await fields(), filter: [`code:eq:${code}`], pageSize: 2 },
        // a page without the list is no answer: read as "no such code", a stock report was refused
        decodeAnswer: listAnswer(PATH, 'organisationUnits'),
      });
      return (Array.isArray(page.organisationUnits) ? (page.organisationUnits as Json[]) : []).find(
        (o) => o.code === code,
      );
    },
    async decodeContext() {
      if (!levels) {
        const asked = client
          .list<Json>('/api/organisationUnitLevels', 'organisationUnitLevels', { fields: 'level,name' })
          .then((list) => new Map(list.map((l) => [Number(l.level), String(l.name)])));
        asked.catch(() => {
          if (levels === asked) levels = undefined;
        });
        levels = asked;
      }
      return {
        facilityLevel: client.settings().facilityLevel,
        levelNames: await levels,
      };
    },
    clear() {
      levels = undefined;
    },
  };
}

export function createFacilityCapability(
  client: Dhis2Client,
  reader: OrgUnitReader,
  opts: FacilityOptions = {},
): FacilityCapability {
  // the server's date: DHIS2 keeps openingDate and closedDate as its wall time (a date at 00:00)
  // (asked again for each write: DHIS2's zone changes when DHIS2 restarts, not when the mediator does)
  const today = async () => opts.today?.() ?? wallTimeIn(Date.now(), await client.serverZoneNow()).slice(0, 10);
  // only a leaf above facilityLevel needs the crosswalk (few: a store moved under its region)
  const linkedAmong = async (list: Json[], facilityLevel: number): Promise<Set<string>> => {
    const asked = list.filter((ou) => leafAboveLevel(ou, facilityLevel)).map((ou) => String(ou.id));
    if (!opts.linked || asked.length === 0) return new Set();
    const answers = await Promise.all(asked.map(opts.linked));
    return new Set(asked.filter((_, i) => answers[i]));
  };
  /** `zone`: the one its run (a search, a read) asked, not the one known to the process. */
  const decodeAll = async (list: Json[], zone: string) => {
    const ctx = await reader.decodeContext();
    const linked = await linkedAmong(list, ctx.facilityLevel);
    return list.map((ou) => decodeOrgUnit(ou, { ...ctx, zone, linked }));
  };
  const lists = opts.lists ?? new OrgUnitLists(client);
  // the pages of one search after its first reuse its list while DHIS2 says it is unchanged
  const listWhere = async (filter: string[]): Promise<Json[]> =>
    lists.list(orgUnitFields((await client.features()).geometry), filter, 'level:asc');

  /**
   * `zone`: a search's; a read by id asks it now (reused ZONE_REUSE_MS): the zone known to the
   * process would put lastUpdated hours off after DHIS2 restarted in another zone.
   */
  const get = async (id: string, zone?: string): Promise<Facility | undefined> => {
    const ou = await reader.byId(id);
    return ou ? (await decodeAll([ou], zone ?? (await client.serverZoneNow())))[0] : undefined;
  };

  /** The parent org unit of a write: a UID DHIS2 has, else the crosswalk's, else (an update) the current one. */
  const parentOf = async (facility: Facility, existing: Json | undefined): Promise<string | undefined> => {
    const wanted = facility.partOf;
    if (wanted) {
      const uid = isUid(wanted) ? wanted : await opts.crosswalk?.(wanted);
      if (uid && (await reader.byId(uid))) return uid;
    }
    if (existing?.parent?.id) return String(existing.parent.id);
    throw new BusinessRuleError(
      `facility ${facility.name}: its parent (${wanted ?? 'none given'}) is not a DHIS2 organisation unit; a new org unit needs one (Location.partOf = the parent's UID)`,
      'Location.partOf',
    );
  };

  /** The UID of the org unit a registry facility is: its own DHIS2 id, else one derived from the registry id. */
  const uidOf = (facility: Facility): string => {
    const own =
      facility.identifiers.find((i) => i.system === DHIS2_ID_SYSTEM)?.value ??
      (facility.source?.system === DHIS2_SYSTEM ? facility.source.id : undefined);
    if (own) {
      if (!isUid(own))
        throw new BusinessRuleError(
          `facility ${facility.name}: ${own} is not a DHIS2 UID (a letter and ten letters or digits)`,
          'Location.identifier',
        );
      return own;
    }
    const key =
      facility.id ??
      (facility.identifiers[0] ? `${facility.identifiers[0].system}|${facility.identifiers[0].value}` : undefined);
    if (!key)
      throw new BusinessRuleError(
        `facility ${facility.name} has neither an id nor an identifier to derive its DHIS2 UID from`,
        'Location.identifier',
      );
    return deterministicUid('organisationUnit', key);
  };

  return {
    cannotKeep: {
      // data values keyed by org unit code (orgUnitIdScheme=CODE) follow the code DHIS2 has
      code: 'DHIS2 keeps the org unit code it has (the registry code when the mediator created the org unit); a different registry code is not written',
    },
    createNeedsParent: 'DHIS2 needs a parent org unit for a new org unit',
    get: (id: string) => get(id),
    // upsert writes the org unit of this UID; a facility none can be derived for is refused there
    writeKey: (facility) => {
      try {
        return `uid|${uidOf(facility)}`;
      } catch {
        return undefined;
      }
    },
    // a search (a feed's run: `_lastUpdated` from its mark) asks the server's zone once, at its
    // start: DHIS2's zone is its JVM's and changes when DHIS2 restarts, so the zone known to the
    // process would put the mark at another wall time (a move west skipped what changed since)
    async search(criteria) {
      const zone = await client.serverZoneNow();
      if (criteria.ids?.length) {
        const found = (await Promise.all(criteria.ids.map((id) => get(id, zone)))).filter((f): f is Facility => !!f);
        return { items: found.filter((f) => matches(f, { ...criteria, ids: undefined })) };
      }
      const queries = filtersFor(criteria, zone);
      if (!queries) return { items: [] };
      const seen = new Set<string>();
      const raw = (await Promise.all(queries.map(listWhere)))
        .flat()
        .filter((ou) => !seen.has(ou.id) && !!seen.add(ou.id));
      return { items: (await decodeAll(raw, zone)).filter((f) => matches(f, criteria)) };
    },
    listAll(signal?: AbortSignal) {
      return readsEndWith(signal, async () => {
        const zone = await client.serverZoneNow();
        return decodeAll(await listWhere([]), zone);
      });
    },
    async upsert(facility: Facility, journal: StepJournal): Promise<WriteResult> {
      const uid = uidOf(facility);
      const code = orgUnitCodeOf(facility);
      if (code && code.length > 50)
        throw new BusinessRuleError(
          `facility ${facility.name}: code ${code} is longer than DHIS2's 50 characters`,
          'Location.identifier',
        );
      // one step: look the UID up, then create or update. A create whose answer was lost is found
      // by its UID on the retry and updated instead of being made twice.
      const saved = await journal.run('upsert-org-unit', async () => {
        const existing = await getOrAbsent<Json, UpstreamRequest>(
          client,
          { path: `${PATH}/${uid}`, query: { fields: ':owner' }, decodeAnswer: withIdAnswer(`${PATH}/${uid}`, uid) },
          [404],
          noBodyAnswer(`${PATH}/${uid}`),
        );
        const body = encodeOrgUnit(
          facility,
          {
            id: uid,
            code,
            parentId: await parentOf(facility, existing),
            today: await today(),
            geometry: (await client.features()).geometry,
          },
          existing,
        );
        if (existing && unchangedOrgUnit(body, existing)) return { id: uid, status: 'unchanged' };
        if (existing) await client.call({ method: 'PUT', path: `${PATH}/${uid}`, body, retry: true });
        else await client.call({ method: 'POST', path: PATH, body });
        return { id: uid, status: existing ? 'updated' : 'created' };
      });
      return { system: DHIS2_SYSTEM, ids: { organisationUnit: saved.id }, status: saved.status };
    },
  };
}
