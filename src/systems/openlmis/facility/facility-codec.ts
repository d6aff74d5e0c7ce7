import type { Facility, FacilityStatus } from '../../../domain/index.js';
import { NS } from '../../../domain/namespace.js';
import { FACILITY_CODE_SYSTEM, LMIS_SYSTEM, ZONE_CODE_SYSTEM } from '../identifiers.js';
import { putChangesNothing } from '../../unchanged-put.js';

/**
 * OpenLMIS facility / geographic zone JSON ↔ domain Facility (issue 4 "Location ↔ facility"),
 * pure. Tolerant of the nulls real servers send and of the reduced copies (BasicFacilityDto has no
 * location, operator or programs; those fields are then simply absent, never invented).
 */
export const FACILITY_TYPE_SYSTEM = `${NS}/CodeSystem/openlmis-facility-type`;
export const FACILITY_OPERATOR_SYSTEM = `${NS}/CodeSystem/openlmis-facility-operator`;
export const GEOGRAPHIC_LEVEL_SYSTEM = `${NS}/CodeSystem/openlmis-geographic-level`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON as parsed
type Json = Record<string, any>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** active+enabled → active; enabled but not active → suspended (can come back); not enabled → inactive. */
export function statusOf(active: unknown, enabled: unknown): FacilityStatus {
  if (enabled === false) return 'inactive';
  return active === false ? 'suspended' : 'active';
}

export function flagsOf(status: FacilityStatus): { active: boolean; enabled: boolean } {
  return { active: status === 'active', enabled: status !== 'inactive' };
}

/** Zone names from the facility's zone outwards (nearest first), following the nested parents. */
function zoneNames(zone: Json | undefined): string[] {
  const out: string[] = [];
  for (let z = zone; z && out.length < 20; z = z.parent as Json | undefined) if (str(z.name)) out.push(z.name);
  return out;
}

export function decodeFacility(dto: unknown): Facility {
  const f = dto as Json;
  const coords = f.location?.coordinates;
  const programs = Array.isArray(f.supportedPrograms)
    ? (f.supportedPrograms as Json[])
        .filter((p) => p.supportActive !== false && str(p.code))
        .map((p) => p.code as string)
    : undefined;
  return {
    id: String(f.id),
    identifiers: [{ system: FACILITY_CODE_SYSTEM, value: String(f.code) }],
    name: String(f.name ?? f.code),
    status: statusOf(f.active, f.enabled),
    kind: 'facility',
    types: str(f.type?.code)
      ? [{ system: FACILITY_TYPE_SYSTEM, code: f.type.code, display: str(f.type.name) }]
      : undefined,
    operator: str(f.operator?.code)
      ? { system: FACILITY_OPERATOR_SYSTEM, code: f.operator.code, display: str(f.operator.name) }
      : undefined,
    partOf: str(f.geographicZone?.id),
    areaPath: f.geographicZone ? zoneNames(f.geographicZone) : undefined,
    // GeoJSON order is [longitude, latitude]
    position:
      Array.isArray(coords) && finite(coords[0]) && finite(coords[1])
        ? { longitude: coords[0], latitude: coords[1] }
        : undefined,
    programs,
    description: str(f.description),
    source: { system: LMIS_SYSTEM, id: String(f.id) },
  };
}

export function decodeZone(dto: unknown): Facility {
  const z = dto as Json;
  return {
    id: String(z.id),
    identifiers: [{ system: ZONE_CODE_SYSTEM, value: String(z.code) }],
    name: String(z.name ?? z.code),
    status: 'active',
    kind: 'area',
    types: str(z.level?.code)
      ? [{ system: GEOGRAPHIC_LEVEL_SYSTEM, code: z.level.code, display: str(z.level.name) }]
      : undefined,
    partOf: str(z.parent?.id),
    areaPath: z.parent ? zoneNames(z.parent) : undefined,
    position: finite(z.latitude) && finite(z.longitude) ? { latitude: z.latitude, longitude: z.longitude } : undefined,
    source: { system: LMIS_SYSTEM, id: String(z.id) },
  };
}

/**
 * The OpenLMIS code of a domain facility: its OpenLMIS code identifier, else its first identifier,
 * else (a facility put under the client's id with no identifier) that id.
 */
export function facilityCodeOf(facility: Facility): string | undefined {
  return (
    (facility.identifiers.find((i) => i.system === FACILITY_CODE_SYSTEM) ?? facility.identifiers[0])?.value ??
    facility.id
  );
}

export interface FacilityWriteRefs {
  typeId: string;
  zoneId: string;
  operatorId?: string;
  programs?: {
    id: string;
    code: string;
    name: string;
    active?: boolean;
    periodsSkippable?: boolean;
    showNonFullSupplyTab?: boolean;
  }[];
}

/**
 * The FacilityDto to POST/PUT: the existing record (PUT replaces the whole facility) overlaid
 * with what the registry says, marked as managed externally so OpenLMIS users may not edit it.
 */
export function encodeFacility(facility: Facility, code: string, refs: FacilityWriteRefs, existing?: Json): Json {
  const keptPrograms = new Map(((existing?.supportedPrograms ?? []) as Json[]).map((p) => [p.code ?? p.id, p]));
  const body: Json = {
    ...(existing ?? {}),
    code,
    name: facility.name,
    ...flagsOf(facility.status),
    type: { id: refs.typeId },
    geographicZone: { id: refs.zoneId },
    extraData: { ...(existing?.extraData ?? {}), isManagedExternally: 'true' },
  };
  if (facility.description !== undefined) body.description = facility.description;
  if (refs.operatorId) body.operator = { id: refs.operatorId };
  if (facility.position)
    body.location = { type: 'Point', coordinates: [facility.position.longitude, facility.position.latitude] };
  if (refs.programs) {
    body.supportedPrograms = refs.programs.map((p) => {
      const kept = keptPrograms.get(p.code) ?? keptPrograms.get(p.id);
      // the full supportedProgram.json entry, as the upstream contract test sends it
      return {
        id: p.id,
        code: p.code,
        name: p.name,
        programActive: p.active ?? true,
        periodsSkippable: p.periodsSkippable ?? false,
        showNonFullSupplyTab: p.showNonFullSupplyTab ?? false,
        supportActive: true,
        supportLocallyFulfilled: kept?.supportLocallyFulfilled ?? false,
        supportStartDate: kept?.supportStartDate ?? null,
      };
    });
  } else if (!existing) {
    body.supportedPrograms = [];
  }
  if (!existing) {
    body.openLmisAccessible = true;
    body.goLiveDate = null;
  }
  return body;
}

/**
 * Whether the FacilityDto to PUT (encodeFacility over `existing`, as just read) would change
 * nothing, so it is not written. The isManagedExternally mark alone is no change: the facilities a
 * reconcile links are OpenLMIS's own, never marked, and a PUT of each of thousands that agree with
 * the registry only to mark it is what the comparison spares; the mark goes with a real change.
 */
export function unchangedFacility(body: Json, existing: Json): boolean {
  return putChangesNothing({ ...body, extraData: existing.extraData }, existing);
}
