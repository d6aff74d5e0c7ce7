import type { LmisClient, LmisFacilityRef, LmisOrderable, LmisProgram, LmisReason, ReferenceData } from './types.js';
import { ExpiringCache } from '../../upstream/expiring-cache.js';
import * as api from './api.js';

/**
 * Cached OpenLMIS reference data (reference §2, §4). Lookups by code are exact: the server's
 * `code` filters are substring matches (LK-HC-10 also finds LK-HC-101), so the client asks with
 * the substring filter, which every version supports, and keeps only the exact match. Reasons are
 * resolved by name from /api/validReasons; no reason id is ever written into this code.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON as parsed
type Json = Record<string, any>;

export interface LmisZone {
  id: string;
  code: string;
  name: string;
  levelNumber?: number;
  parentId?: string;
  latitude?: number;
  longitude?: number;
}

export interface LmisNamedRef {
  id: string;
  code: string;
  name: string;
}

/** A program with the flags a facility's supportedPrograms entry repeats (supportedProgram.json). */
export interface LmisProgramDetail extends LmisProgram {
  active?: boolean;
  showNonFullSupplyTab?: boolean;
}

/** The seam (types.ts ReferenceData) plus the lists facility/facilities.ts needs to write facilities. */
export interface LmisReferenceData extends ReferenceData {
  facilityTypes(): Promise<LmisNamedRef[]>;
  operators(): Promise<LmisNamedRef[]>;
  zones(): Promise<LmisZone[]>;
  programs(): Promise<LmisProgramDetail[]>;
  /** Anything else kept with the reference data: same lifetime, cleared with it. */
  remember<T>(key: string, load: () => Promise<T>): Promise<T>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined =>
  v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

export function decodeOrderable(o: Json): LmisOrderable {
  const dispensable = (o.dispensable ?? {}) as Json;
  return {
    id: String(o.id),
    // meta.versionNumber is a string on some versions, a number on others
    versionNumber: num(o.meta?.versionNumber ?? o.versionNumber) ?? 1,
    productCode: String(o.productCode),
    fullProductName: str(o.fullProductName),
    netContent: num(o.netContent) ?? 1,
    packRoundingThreshold: num(o.packRoundingThreshold) ?? 0,
    roundToZero: o.roundToZero === true,
    dispensingUnit: str(dispensable.dispensingUnit) ?? str(dispensable.sizeCode) ?? str(dispensable.displayUnit),
    tradeItemId: str(o.identifiers?.tradeItem),
    programIds: ((o.programs ?? []) as Json[]).map((p) => str(p.programId)).filter((x): x is string => !!x),
  };
}

export function decodeFacilityRef(f: Json): LmisFacilityRef {
  return { id: String(f.id), code: String(f.code), name: String(f.name ?? f.code), typeCode: str(f.type?.code) };
}

function decodeProgram(p: Json): LmisProgramDetail {
  return {
    id: String(p.id),
    code: String(p.code),
    name: String(p.name ?? p.code),
    skipAuthorization: p.skipAuthorization === true,
    periodsSkippable: p.periodsSkippable === true,
    active: p.active !== false,
    showNonFullSupplyTab: p.showNonFullSupplyTab === true,
  };
}

function decodeZone(z: Json): LmisZone {
  return {
    id: String(z.id),
    code: String(z.code),
    name: String(z.name ?? z.code),
    levelNumber: num(z.level?.levelNumber),
    parentId: str(z.parent?.id),
    latitude: num(z.latitude),
    longitude: num(z.longitude),
  };
}

function decodeReason(v: Json): LmisReason | undefined {
  // validReasons wraps the reason ({reason:{…}, hidden}); stockCardLineItemReasons does not
  const r = (v.reason ?? v) as Json;
  if (!str(r.id) || !str(r.name)) return undefined;
  return { id: r.id, name: r.name, reasonType: r.reasonType, reasonCategory: String(r.reasonCategory ?? '') };
}

export function createReferenceData(client: LmisClient, ttlMs: number | (() => number)): LmisReferenceData {
  const cache = new ExpiringCache(typeof ttlMs === 'function' ? ttlMs : () => ttlMs);
  const found = (body: Json | undefined) => (body && typeof body === 'object' && str(body.id) ? body : undefined);

  const programs = () => cache.get('programs', async () => (await api.listPrograms(client)).map(decodeProgram));
  const facilityTypes = () =>
    cache.get('facilityTypes', async () =>
      (await api.listFacilityTypes(client)).map((t) => ({
        id: String(t.id),
        code: String(t.code),
        name: String(t.name ?? t.code),
      })),
    );

  // Every facility, one list call per TTL (BasicFacilityDto holds id, code, name and type, all a
  // reference needs). Orders come from a different facility nearly each time (each orders once a
  // period), so a cache per facility would almost never hit: it cost one GET per order (issue 18).
  const directory = () =>
    cache.get('facilityDirectory', async () => {
      const refs = (await api.listFacilities(client)).filter((f) => found(f)).map(decodeFacilityRef);
      return { byId: new Map(refs.map((f) => [f.id, f])), byCode: new Map(refs.map((f) => [f.code, f])) };
    });

  const refs: LmisReferenceData = {
    // a facility created since the directory was read is asked for by itself
    facilityById: (id) =>
      cache.get(`facility:${id}`, async () => {
        const listed = (await directory()).byId.get(id);
        if (listed) return listed;
        const f = found(await api.getFacility(client, id));
        return f ? decodeFacilityRef(f) : undefined;
      }),
    facilityByCode: (code) =>
      cache.get(`facilityCode:${code}`, async () => {
        const listed = (await directory()).byCode.get(code);
        if (listed) return listed;
        const matches = (await api.listFacilities(client, { code })).filter((f) => f.code === code);
        return matches[0] ? decodeFacilityRef(matches[0]) : undefined;
      }),
    programs,
    programByCode: async (code) => (await programs()).find((p) => p.code === code),
    programById: async (id) => (await programs()).find((p) => p.id === id),
    activePrograms: (facilityId) =>
      cache.get(`activePrograms:${facilityId}`, async () => {
        const f = found(await api.getFacility(client, facilityId));
        const codes = ((f?.supportedPrograms ?? []) as Json[])
          .filter((p) => p.supportActive !== false && str(p.code))
          .map((p) => p.code as string);
        const known = await programs();
        // in the facility's order; a code /api/programs does not know is no program to order under
        return codes.map((code) => known.find((p) => p.code === code)).filter((p): p is LmisProgramDetail => !!p);
      }),
    orderableByCode: (code) =>
      cache.get(`orderableCode:${code}`, async () => {
        const matches = (await api.listOrderables(client, { code })).filter((o) => o.productCode === code);
        return matches[0] ? decodeOrderable(matches[0]) : undefined;
      }),
    orderableById: (id, versionNumber) =>
      cache.get(`orderable:${id}:${versionNumber ?? 'latest'}`, async () => {
        const o = found(await api.getOrderable(client, id, versionNumber));
        return o ? decodeOrderable(o) : undefined;
      }),
    reasons: (programId, facilityTypeCode) =>
      cache.get(`reasons:${programId}:${facilityTypeCode}`, async () => {
        const type = (await facilityTypes()).find((t) => t.code === facilityTypeCode);
        if (!type) return [];
        // validReasons refuses API keys (reference §1): the user token reads it
        const body = await api.listValidReasons(client, programId, type.id);
        const rows = Array.isArray(body) ? body : (body?.content ?? []);
        return rows.map(decodeReason).filter((r): r is LmisReason => !!r);
      }),
    lots: (tradeItemId) =>
      cache.get(`lots:${tradeItemId}`, async () =>
        (await api.listLots(client, tradeItemId)).map((l) => ({
          id: String(l.id),
          lotCode: String(l.lotCode),
          expirationDate: str(l.expirationDate),
          tradeItemId: str(l.tradeItemId),
        })),
      ),
    facilityTypes,
    operators: () =>
      cache.get('operators', async () =>
        (await api.listFacilityOperators(client)).map((o) => ({
          id: String(o.id),
          code: String(o.code),
          name: String(o.name ?? o.code),
        })),
      ),
    zones: () => cache.get('zones', async () => (await api.listZones(client)).map(decodeZone)),
    remember: (key, load) => cache.get(`remembered:${key}`, load),
    clear: () => cache.clear(),
  };
  return refs;
}
