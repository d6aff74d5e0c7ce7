import {
  GOFR_FACILITY,
  GOFR_JURISDICTION,
  MCSD_TYPES,
  PHYSICAL_TYPES,
  REGISTRY_CODE_SYSTEM,
  SEED_FACILITIES,
  SEED_JURISDICTIONS,
  SERVICE_TYPES,
  URN_SYSTEM,
  facilityId,
  healthPosts,
  jurisdictionId,
  organizationId,
  type TypeCodes,
} from './seed.js';

/**
 * The registry's memory: every version of every Location and Organization in one log (so
 * `_history` is a filter over it), the current version per resource, and the resources that were
 * unpublished (gone from searches and reads without a DELETE, as KMHFL drops closed facilities).
 * Every change takes the next instant of a monotonic clock, one millisecond past the previous one
 * when the wall clock has not moved, so `meta.lastUpdated` orders changes strictly and a client's
 * high-water mark never falls between two changes of the same millisecond.
 */
export type Json = Record<string, any>;
export type ResourceType = 'Location' | 'Organization';
export type Kind = 'facility' | 'area';

export interface Version {
  type: ResourceType;
  id: string;
  versionId: number;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'DELETE';
  /** Absent for a DELETE. */
  resource?: Json;
}

export interface MfrStateOptions {
  typeCodes?: TypeCodes;
  /** How many of the OpenLMIS sandbox's extra health posts to seed (default 24, as that sandbox). */
  healthPosts?: number;
  identifierSystem?: string;
  /** The clock (tests): milliseconds since the epoch. */
  now?: () => number;
}

export interface OpenFacility {
  code: string;
  name: string;
  /** Parent Location id or registry code. */
  parent?: string;
  kind?: Kind;
  /** [longitude, latitude] */
  point?: [number, number];
  service?: string;
  status?: 'active' | 'inactive';
}

export class MfrStateError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const key = (type: ResourceType, id: string) => `${type}/${id}`;

export class MfrState {
  readonly log: Version[] = [];
  private readonly current = new Map<string, Version>();
  private readonly hidden = new Set<string>();
  private last = 0;
  readonly typeCodes: TypeCodes;
  readonly identifierSystem: string;
  private readonly clock: () => number;

  constructor(private readonly options: MfrStateOptions = {}) {
    this.typeCodes = options.typeCodes ?? 'mcsd4';
    this.identifierSystem = options.identifierSystem ?? REGISTRY_CODE_SYSTEM;
    this.clock = options.now ?? Date.now;
    this.seed();
  }

  /** The directory's instant now: no version yet written is before it (a search's Bundle.meta.lastUpdated). */
  now(): string {
    return new Date(Math.max(this.clock(), this.last)).toISOString();
  }

  /** The next instant: strictly after the previous one, never before the wall clock. */
  tick(): string {
    this.last = Math.max(this.clock(), this.last + 1);
    return new Date(this.last).toISOString();
  }

  private seed(): void {
    for (const j of SEED_JURISDICTIONS)
      this.open({
        code: j.code,
        name: j.name,
        parent: j.parent && jurisdictionId(j.parent),
        kind: 'area',
        point: j.point,
      });
    for (const f of [...SEED_FACILITIES, ...healthPosts(this.options.healthPosts ?? 24)])
      this.open({ ...f, parent: jurisdictionId(f.parent) });
  }

  /** Location id for an id or a registry code. */
  idOf(idOrCode: string): string {
    if (this.current.has(key('Location', idOrCode))) return idOrCode;
    for (const v of this.current.values())
      if (v.type === 'Location' && v.resource?.identifier?.some((i: Json) => i.value === idOrCode)) return v.id;
    throw new MfrStateError(404, `no Location ${idOrCode}`);
  }

  /** Current versions that searches and reads see: not deleted, not unpublished. */
  visible(type: ResourceType): Json[] {
    const out: Json[] = [];
    for (const [k, v] of this.current) if (v.type === type && v.resource && !this.hidden.has(k)) out.push(v.resource);
    return out;
  }

  /** The current version (deleted ones included, unpublished ones not). */
  latest(type: ResourceType, id: string): Version | undefined {
    const k = key(type, id);
    return this.hidden.has(k) ? undefined : this.current.get(k);
  }

  version(type: ResourceType, id: string, versionId: string): Version | undefined {
    if (this.hidden.has(key(type, id))) return undefined;
    return this.log.find((v) => v.type === type && v.id === id && String(v.versionId) === versionId);
  }

  /** Versions of `type` (optionally of one resource) at or after `since`, newest first (FHIR history order). */
  history(type: ResourceType, since?: number, id?: string): Version[] {
    const out: Version[] = [];
    for (let i = this.log.length - 1; i >= 0; i--) {
      const v = this.log[i];
      if (v.type !== type || (id !== undefined && v.id !== id)) continue;
      if (since !== undefined && Date.parse(v.lastUpdated) < since) continue;
      out.push(v);
    }
    return out;
  }

  /** Writes a new version of a resource (create or update): meta.versionId and meta.lastUpdated are the directory's. */
  put(resource: Json): Version {
    const type = resource.resourceType as ResourceType;
    if (type !== 'Location' && type !== 'Organization') throw new MfrStateError(400, `cannot store a ${type}`);
    if (typeof resource.id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(resource.id))
      throw new MfrStateError(400, `${type}.id must be a FHIR id, got ${JSON.stringify(resource.id)}`);
    const k = key(type, resource.id);
    const before = this.current.get(k);
    const versionId = (before?.versionId ?? 0) + 1;
    const lastUpdated = this.tick();
    const stored = {
      ...structuredClone(resource),
      meta: { ...resource.meta, versionId: String(versionId), lastUpdated },
    };
    const v: Version = {
      type,
      id: resource.id,
      versionId,
      lastUpdated,
      method: before?.resource ? 'PUT' : 'POST',
      resource: stored,
    };
    this.log.push(v);
    this.current.set(k, v);
    this.hidden.delete(k);
    return v;
  }

  private change(idOrCode: string, edit: (r: Json) => void): Version {
    const id = this.idOf(idOrCode);
    const v = this.current.get(key('Location', id));
    if (!v?.resource) throw new MfrStateError(410, `Location ${id} was deleted`);
    const next = structuredClone(v.resource);
    edit(next);
    return this.put(next);
  }

  rename(idOrCode: string, name: string): Version {
    const v = this.change(idOrCode, (r) => (r.name = name));
    // the Organization half of the mCSD pair carries the same name
    const org = this.current.get(key('Organization', organizationId(v.id)));
    if (org?.resource) this.put({ ...org.resource, name });
    return v;
  }

  move(idOrCode: string, parent: string): Version {
    const parentId = this.idOf(parent);
    return this.change(idOrCode, (r) => (r.partOf = { reference: `Location/${parentId}` }));
  }

  /** A surveyed position: [longitude, latitude], as GeoJSON and `open` take it. */
  relocate(idOrCode: string, point: [number, number]): Version {
    return this.change(idOrCode, (r) => (r.position = { longitude: point[0], latitude: point[1] }));
  }

  /** A facility re-classed: its service type (v3 RoleCode in the demo registry) replaced, its mCSD type kept. */
  retype(idOrCode: string, service: string): Version {
    return this.change(idOrCode, (r) => {
      r.type = [
        ...(r.type ?? []).filter((t: Json) => t.coding?.[0]?.system !== SERVICE_TYPES),
        { coding: [{ system: SERVICE_TYPES, code: service }] },
      ];
    });
  }

  /** A facility given a new registry code (the Location id stays; KMHFL recodes this way). */
  recode(idOrCode: string, code: string): Version {
    return this.change(idOrCode, (r) => {
      r.identifier = (r.identifier ?? []).map((i: Json) =>
        i.system === this.identifierSystem ? { ...i, value: code } : i,
      );
    });
  }

  close(idOrCode: string): Version {
    return this.change(idOrCode, (r) => (r.status = 'inactive'));
  }

  reopen(idOrCode: string): Version {
    return this.change(idOrCode, (r) => (r.status = 'active'));
  }

  /** Opens a new facility (or jurisdiction) with its Organization half; the id derives from the code. */
  open(f: OpenFacility): Version {
    const kind = f.kind ?? 'facility';
    const id = kind === 'area' ? jurisdictionId(f.code) : facilityId(f.code);
    if (this.current.get(key('Location', id))?.resource) throw new MfrStateError(409, `Location ${id} exists`);
    const parentId = f.parent === undefined ? undefined : this.idOf(f.parent);
    const orgId = organizationId(id);
    this.put({
      resourceType: 'Organization',
      id: orgId,
      identifier: [{ system: this.identifierSystem, value: f.code }],
      active: true,
      type: [{ coding: [this.typeCoding(kind)] }],
      name: f.name,
      ...(parentId ? { partOf: { reference: `Organization/${organizationId(parentId)}` } } : {}),
    });
    return this.put(this.location(id, kind, f, parentId, orgId));
  }

  /** KMHFL style: gone from lists, searches and reads, with no DELETE in the history. */
  unpublish(idOrCode: string): string {
    const id = this.idOf(idOrCode);
    this.hidden.add(key('Location', id));
    return id;
  }

  /** Listed again exactly as before, with no new version (a read that missed it: a filter or a permission changed back). */
  relist(id: string): void {
    this.hidden.delete(key('Location', id));
  }

  /** A FHIR delete: a DELETE entry in the history, reads answer 410. */
  delete(idOrCode: string): Version {
    const id = this.idOf(idOrCode);
    const k = key('Location', id);
    const before = this.current.get(k)!;
    if (!before.resource) throw new MfrStateError(410, `Location ${id} was already deleted`);
    const v: Version = {
      type: 'Location',
      id,
      versionId: before.versionId + 1,
      lastUpdated: this.tick(),
      method: 'DELETE',
    };
    this.log.push(v);
    this.current.set(k, v);
    return v;
  }

  summary(): Json {
    const locations = this.visible('Location');
    const kindOf = (r: Json) => (r.physicalType?.coding?.[0]?.code === 'jdn' ? 'area' : 'facility');
    return {
      typeCodes: this.typeCodes,
      identifierSystem: this.identifierSystem,
      versions: this.log.length,
      facilities: locations.filter((r) => kindOf(r) === 'facility').length,
      jurisdictions: locations.filter((r) => kindOf(r) === 'area').length,
      unpublished: [...this.hidden].map((k) => k.replace(/^Location\//, '')),
      deleted: [...this.current.values()].filter((v) => !v.resource).map((v) => v.id),
      lastUpdated: this.last ? new Date(this.last).toISOString() : undefined,
      codes: Object.fromEntries(
        locations.map((r) => [r.identifier?.[0]?.value, { id: r.id, name: r.name, status: r.status }]),
      ),
    };
  }

  private typeCoding(kind: Kind): Json {
    if (this.typeCodes === 'gofr2019')
      return { system: URN_SYSTEM, code: kind === 'area' ? GOFR_JURISDICTION : GOFR_FACILITY };
    return kind === 'area'
      ? { system: MCSD_TYPES, code: 'jurisdiction', display: 'Jurisdiction' }
      : { system: MCSD_TYPES, code: 'facility', display: 'Facility' };
  }

  private location(id: string, kind: Kind, f: OpenFacility, parentId: string | undefined, orgId: string): Json {
    return {
      resourceType: 'Location',
      id,
      meta: {
        profile: [
          `https://profiles.ihe.net/ITI/mCSD/StructureDefinition/IHE.mCSD.${kind === 'area' ? 'Jurisdiction' : 'Facility'}Location`,
        ],
      },
      identifier: [{ system: this.identifierSystem, value: f.code }],
      status: f.status ?? 'active',
      name: f.name,
      type: [
        { coding: [this.typeCoding(kind)] },
        ...(kind === 'facility' ? [{ coding: [{ system: SERVICE_TYPES, code: f.service ?? 'COMM' }] }] : []),
      ],
      physicalType: { coding: [{ system: PHYSICAL_TYPES, code: kind === 'area' ? 'jdn' : 'bu' }] },
      ...(f.point ? { position: { longitude: f.point[0], latitude: f.point[1] } } : {}),
      managingOrganization: { reference: `Organization/${orgId}` },
      ...(parentId ? { partOf: { reference: `Location/${parentId}` } } : {}),
    };
  }
}
