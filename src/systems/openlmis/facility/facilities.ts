import { codeCandidates } from '../../../domain/identifiers.js';
import { BusinessRuleError } from '../../../domain/errors.js';
import type { Facility } from '../../../domain/index.js';
import { facilityMatches as matches } from '../../../domain/facility-search.js';
import type { FacilityCapability, SearchCriteria, StepJournal, WriteResult } from '../../../routing/ports.js';
import type { LmisClient } from '../types.js';
import {
  decodeFacility,
  decodeZone,
  encodeFacility,
  facilityCodeOf,
  type FacilityWriteRefs,
  unchangedFacility,
} from './facility-codec.js';
import { FACILITY_CODE_SYSTEM, isUuid, LMIS_SYSTEM, ZONE_CODE_SYSTEM } from '../identifiers.js';
import type { LmisReferenceData } from '../reference-data.js';
import * as api from '../api.js';
import { searchLocationPage } from './location-search.js';
import { DecodedFacilities } from './decoded-facilities.js';
import { readsEndWith } from '../../../upstream/attempt-scope.js';

/**
 * Locations served from OpenLMIS: facilities and geographic zones (as area Locations) read live,
 * and facilities created or updated for registry propagation. Searches ask the server with its
 * (substring) filters to narrow the list, then apply the FHIR meaning exactly here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON as parsed
type Json = Record<string, any>;

export function createFacilityCapability(client: LmisClient, refs: LmisReferenceData): FacilityCapability {
  // a malformed id is a 400 on some versions: absent as well
  const ABSENT = [404, 400];
  const found = (body: Json | undefined) =>
    body && typeof body === 'object' && typeof body.id === 'string' ? body : undefined;

  // a search's facilities: an unchanged one is the same object as last time (decoded-facilities.ts)
  const decoded = new DecodedFacilities(decodeFacility);
  const decode = (dto: unknown) => decoded.of(dto);
  const facilitiesWhere = async (query: Record<string, string | undefined>): Promise<Facility[]> =>
    (await api.listFullFacilities(client, query)).map(decode);
  const allZones = async (): Promise<Facility[]> => (await api.listZones(client)).map(decodeZone);
  // zones change rarely: kept with the reference data (openlmis.referenceTtlMs; an upsert clears it)
  const cachedZones = () => refs.remember('zoneLocations', allZones);
  const wants = (c: SearchCriteria) => ({
    wantsZones: !c.type && c.identifier?.system !== FACILITY_CODE_SYSTEM,
    wantsFacilities: c.identifier?.system !== ZONE_CODE_SYSTEM,
  });

  const get = async (id: string): Promise<Facility | undefined> => {
    if (!isUuid(id)) return undefined;
    const facility = found(await api.getFacility(client, id, ABSENT));
    if (facility) return decodeFacility(facility);
    const zone = found(await api.getZone(client, id, ABSENT));
    return zone ? decodeZone(zone) : undefined;
  };

  const candidates = async (c: SearchCriteria): Promise<Facility[]> => {
    if (c.ids?.length) return (await Promise.all(c.ids.map(get))).filter((f): f is Facility => !!f);
    const { wantsZones, wantsFacilities } = wants(c);
    // narrow on the server where its filter is a superset of ours (substring code, exact type and zone)
    const query = { code: c.identifier?.value, zoneId: c.partOf, type: c.type };
    const [facilities, zones] = await Promise.all([
      wantsFacilities ? facilitiesWhere(query) : Promise.resolve([]),
      wantsZones ? cachedZones() : Promise.resolve([]),
    ]);
    return [...facilities, ...zones];
  };

  const resolveWriteRefs = async (facility: Facility, existing: Json | undefined): Promise<FacilityWriteRefs> => {
    const [types, zones, operators, programs] = await Promise.all([
      refs.facilityTypes(),
      refs.zones(),
      refs.operators(),
      refs.programs(),
    ]);
    const byCodeOrName = <T extends { code: string; name: string }>(
      list: T[],
      wanted?: { code: string; display?: string },
    ) =>
      wanted
        ? (list.find((x) => x.code === wanted.code) ??
          list.find((x) => x.name.toLowerCase() === (wanted.display ?? wanted.code).toLowerCase()))
        : undefined;
    const type = facility.types
      ?.flatMap(codeCandidates)
      .map((t) => byCodeOrName(types, t))
      .find(Boolean);
    const typeId = type?.id ?? existing?.type?.id;
    if (!typeId)
      throw new BusinessRuleError(
        `facility ${facility.name}: none of its types (${facility.types?.map((t) => t.code).join(', ') || 'none'}) is an OpenLMIS facility type (${types.map((t) => t.code).join(', ')})`,
        'Location.type',
      );
    const zone =
      zones.find((z) => z.id === facility.partOf) ??
      facility.areaPath?.map((name) => zones.find((z) => z.name.toLowerCase() === name.toLowerCase())).find(Boolean);
    const zoneId = zone?.id ?? existing?.geographicZone?.id;
    if (!zoneId)
      throw new BusinessRuleError(
        `facility ${facility.name}: its area (${facility.partOf ?? facility.areaPath?.join(' > ') ?? 'none'}) is not an OpenLMIS geographic zone`,
        'Location.partOf',
      );
    let programRefs: FacilityWriteRefs['programs'];
    if (facility.programs) {
      programRefs = facility.programs.map((code) => {
        const p = programs.find((x) => x.code === code);
        if (!p)
          throw new BusinessRuleError(
            `facility ${facility.name}: program ${code} is not an OpenLMIS program`,
            'Location.extension',
          );
        return {
          id: p.id,
          code: p.code,
          name: p.name,
          active: p.active,
          periodsSkippable: p.periodsSkippable,
          showNonFullSupplyTab: p.showNonFullSupplyTab,
        };
      });
    }
    return { typeId, zoneId, operatorId: byCodeOrName(operators, facility.operator)?.id, programs: programRefs };
  };

  /** Exact code lookup, live (not cached): a retry must see what the previous attempt created. */
  const findByCode = async (code: string): Promise<Json | undefined> =>
    (await api.listFacilities(client, { code })).find((f) => f.code === code);

  return {
    cannotKeep: {
      // the OpenLMIS code is how its users and our upsert find the facility: never rewritten
      code: 'OpenLMIS keeps its own facility code (the registry code when the mediator created the facility); a different registry code is not written',
    },
    createNeedsParent: 'OpenLMIS needs a geographic zone for a new facility',
    get,
    async search(criteria) {
      // one page asked (the edge pages no further): OpenLMIS pages the facilities (location-search.ts)
      const { page } = criteria;
      if (page && !criteria.ids?.length)
        return searchLocationPage(
          { client, decode, matches, zones: cachedZones, ...wants(criteria) },
          { ...criteria, page },
        );
      return { items: (await candidates(criteria)).filter((f) => matches(f, criteria)) };
    },
    listAll(signal?: AbortSignal) {
      // fresh objects: reconciliation and propagation own what they list (search matches are shared)
      return readsEndWith(signal, async () => {
        const [facilities, zones] = await Promise.all([
          api.listFullFacilities(client, {}).then((list) => list.map(decodeFacility)),
          allZones(),
        ]);
        return [...facilities, ...zones];
      });
    },
    // upsert finds the facility by this code, whatever the FHIR id it was written under
    writeKey: (facility) => {
      const code = facilityCodeOf(facility);
      return code ? `code|${code}` : undefined;
    },
    async upsert(facility: Facility, journal: StepJournal): Promise<WriteResult> {
      if (facility.kind === 'area')
        throw new BusinessRuleError(
          'OpenLMIS geographic zones are not written by the mediator; only facilities',
          'Location.physicalType',
        );
      const code = facilityCodeOf(facility);
      if (!code)
        throw new BusinessRuleError(
          `facility ${facility.name} has no identifier to use as its OpenLMIS code`,
          'Location.identifier',
        );
      // one step: look up by code, then create or update. If the process died after the upstream
      // applied a POST, the retry finds the facility by code and updates it instead of creating a twin.
      const saved = await journal.run('upsert-facility', async () => {
        const match = await findByCode(code);
        const existing = match ? found(await api.getFacility(client, match.id, ABSENT)) : undefined;
        const body = encodeFacility(facility, code, await resolveWriteRefs(facility, existing), existing);
        if (existing && unchangedFacility(body, existing)) return { id: String(existing.id), status: 'unchanged' };
        const dto = existing
          ? await api.updateFacility(client, existing.id, body)
          : await api.createFacility(client, body);
        return { id: String(dto.id), status: existing ? 'updated' : 'created' };
      });
      if (saved.status !== 'unchanged') refs.clear();
      return { system: LMIS_SYSTEM, ids: { facility: saved.id }, status: saved.status };
    },
  };
}
