import { instantOfWallTime, UTC } from './server-time.js';
import type { Facility, GeoPoint } from '../../domain/index.js';
import { putChangesNothing } from '../unchanged-put.js';
import { DHIS2_CODE_SYSTEM, DHIS2_ID_SYSTEM, DHIS2_SYSTEM, ORG_UNIT_LEVEL_SYSTEM } from './identifiers.js';

/**
 * DHIS2 organisation unit JSON ↔ domain Facility, pure. The mapping follows the DHIS2 FHIR
 * adapter's "DHIS Organization Unit to FHIR Location" rule (github.com/dhis2/dhis2-fhir-adapter
 * `fhir/src/main/resources/db/migration/production/V1.1.0.2_0_0__Event_Export.sql`): parent →
 * partOf, a facility at the configured level and an area (jurisdiction) above it, active unless a
 * closedDate is set, the point geometry as the position, shortName as an alias.
 * Geometry is GeoJSON, [longitude, latitude] (docs.dhis2.org developer/web-api metadata.md
 * "Geometry"); servers before 2.32 sent `featureType` + a `coordinates` string instead.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The org unit fields the connector reads: never more (a national tree is large), never `:all`. */
export function orgUnitFields(geometry: boolean): string {
  const shape = geometry ? 'geometry' : 'featureType,coordinates';
  return `id,code,name,shortName,level,path,parent[id],ancestors[id,name],${shape},openingDate,closedDate,lastUpdated,leaf`;
}

/**
 * A DHIS2 timestamp as an ISO instant: one without a zone is wall time in the server's `zone`
 * (server-time.ts; UTC where the caller has not asked the server), or with `+0000`.
 */
export function dhis2Instant(v: unknown, zone: string = UTC): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const zoned = /[zZ]$|[+-]\d\d:\d\d$/.test(s);
  const offset = !zoned && /[+-]\d{4}$/.test(s);
  const t = zoned
    ? Date.parse(s)
    : offset
      ? Date.parse(`${s.slice(0, -2)}:${s.slice(-2)}`)
      : instantOfWallTime(s, zone);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function pointOf(ou: Json): GeoPoint | undefined {
  const g = ou.geometry;
  if (g && g.type === 'Point' && Array.isArray(g.coordinates) && finite(g.coordinates[0]) && finite(g.coordinates[1])) {
    return { longitude: g.coordinates[0], latitude: g.coordinates[1] };
  }
  // pre-2.32: featureType POINT and coordinates "[lon,lat]"
  if (typeof ou.coordinates === 'string' && (ou.featureType === undefined || ou.featureType === 'POINT')) {
    try {
      const c = JSON.parse(ou.coordinates);
      if (Array.isArray(c) && finite(c[0]) && finite(c[1])) return { longitude: c[0], latitude: c[1] };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface DecodeContext {
  facilityLevel: number;
  /**
   * UIDs of org units the crosswalk links to a registry facility, or holds paired with one for
   * review (a pair retired from the queue is a reviewer's question lost). One above facilityLevel
   * with no children (DHIS2's `leaf`) is still a facility: propagation moved it where the
   * registry places it (a regional store directly under its region).
   */
  linked?: ReadonlySet<string>;
  /** Level number → its name (organisationUnitLevels), for the type's display. */
  levelNames?: Map<number, string>;
  /**
   * The server's zone (system/info serverTimeZoneId): DHIS2 keeps an org unit's lastUpdated, as
   * its tracker times, as wall time in it (server-time.ts). UTC when not given.
   */
  zone?: string;
}

function levelOf(ou: Json): number | undefined {
  if (finite(ou.level)) return ou.level;
  const path = str(ou.path);
  return path ? path.split('/').filter(Boolean).length : undefined;
}

/**
 * Facility at facilityLevel or below; above it an area (the FHIR adapter's rule), unless it is a
 * leaf the crosswalk links to a registry facility. The level alone would turn a facility moved up
 * into an area and drop its link; the leaf alone would turn an area that has no children yet
 * into a facility (no place for propagation to put the first one).
 */
export function kindOf(ou: Json, level: number | undefined, ctx: DecodeContext): Facility['kind'] {
  if (level === undefined || level >= ctx.facilityLevel) return 'facility';
  return ou.leaf === true && ctx.linked?.has(String(ou.id)) ? 'facility' : 'area';
}

/** Org units above facilityLevel with no children: those whose kind the crosswalk decides. */
export function leafAboveLevel(ou: Json, facilityLevel: number): boolean {
  const level = levelOf(ou);
  return ou.leaf === true && level !== undefined && level < facilityLevel;
}

export function decodeOrgUnit(dto: unknown, ctx: DecodeContext): Facility {
  const ou = dto as Json;
  const id = String(ou.id);
  const level = levelOf(ou);
  const shortName = str(ou.shortName);
  const name = str(ou.name) ?? shortName ?? id;
  const parent = str(ou.parent?.id) ?? str(ou.path)?.split('/').filter(Boolean).slice(-2, -1)[0];
  const ancestors = Array.isArray(ou.ancestors) ? (ou.ancestors as Json[]) : [];
  const areaPath = ancestors
    .map((a) => str(a.name) ?? str(a.displayName))
    .filter((n): n is string => !!n)
    .reverse();
  return {
    id,
    identifiers: [
      { system: DHIS2_ID_SYSTEM, value: id },
      ...(str(ou.code) ? [{ system: DHIS2_CODE_SYSTEM, value: ou.code as string }] : []),
    ],
    name,
    aliases: shortName && shortName !== name ? [shortName] : undefined,
    // closedDate set = closed (the FHIR adapter's rule); DHIS2 has no suspended state
    status: str(ou.closedDate) ? 'inactive' : 'active',
    kind: kindOf(ou, level, ctx),
    types:
      level !== undefined
        ? [{ system: ORG_UNIT_LEVEL_SYSTEM, code: String(level), display: ctx.levelNames?.get(level) }]
        : undefined,
    partOf: parent,
    areaPath: areaPath.length ? areaPath : undefined,
    position: pointOf(ou),
    source: { system: DHIS2_SYSTEM, id },
    lastUpdated: dhis2Instant(ou.lastUpdated, ctx.zone),
  };
}

/** The org unit's DHIS2 code: its #code identifier, else its first identifier short enough (≤ 50). */
export function orgUnitCodeOf(facility: Facility): string | undefined {
  const own = facility.identifiers.find((i) => i.system === DHIS2_CODE_SYSTEM)?.value;
  if (own) return own;
  return facility.identifiers.find((i) => i.system !== DHIS2_ID_SYSTEM && i.value.length <= 50)?.value;
}

export interface OrgUnitWrite {
  id: string;
  parentId?: string;
  code?: string;
  /** yyyy-MM-dd, for a new org unit (openingDate is not null in DHIS2). */
  today: string;
  /** Server has `geometry` (2.32+); else the legacy coordinates string. */
  geometry: boolean;
}

/**
 * A write that names no alias keeps the org unit's own short name, unless that was only its name
 * (as the mediator writes it for a facility without an alias): then a rename renames it too, or
 * DHIS2 would go on showing the old name wherever it shows short names, and the facility would
 * read back with it as an alias the client never sent.
 */
function keepsShortName(facility: Facility, existing: Json | undefined): boolean {
  if (!existing?.shortName || facility.aliases !== undefined) return false;
  return existing.shortName !== String(existing.name ?? '').slice(0, 50);
}

/**
 * The org unit to POST (new) or PUT (the existing one overlaid: PUT replaces the object, so what
 * the registry does not say is kept). `name`, `shortName` (≤ 50) and `openingDate` are required
 * (dhis2-core `OrganisationUnit.hbm.xml`); closing sets closedDate, reopening clears it; an
 * org unit is never deleted by the mediator.
 */
export function encodeOrgUnit(facility: Facility, w: OrgUnitWrite, existing?: Json): Json {
  const body: Json = { ...(existing ?? {}) };
  body.id = w.id;
  body.name = facility.name.slice(0, 230);
  body.shortName = (
    keepsShortName(facility, existing) ? existing!.shortName : (facility.aliases?.[0] ?? facility.name)
  ).slice(0, 50);
  if (w.code) body.code = w.code;
  if (w.parentId) body.parent = { id: w.parentId };
  body.openingDate = existing?.openingDate ?? w.today;
  if (facility.status === 'inactive') body.closedDate = existing?.closedDate ?? w.today;
  else delete body.closedDate;
  if (facility.position) {
    const { longitude, latitude } = facility.position;
    if (w.geometry) body.geometry = { type: 'Point', coordinates: [longitude, latitude] };
    else Object.assign(body, { featureType: 'POINT', coordinates: `[${longitude},${latitude}]` });
  }
  if (facility.description !== undefined) body.description = facility.description;
  return withoutReadOnly(body);
}

/** Read-only views a GET answers with: not part of what PUT takes. */
const READ_ONLY = ['level', 'path', 'ancestors', 'leaf', 'lastUpdated', 'created', 'displayName', 'href'];

function withoutReadOnly(ou: Json): Json {
  const own = { ...ou };
  for (const k of READ_ONLY) delete own[k];
  return own;
}

/**
 * Whether the org unit to PUT (encodeOrgUnit over `existing`, as just read) would change nothing,
 * so it is not written: DHIS2 audits every metadata write and clears its org-unit caches on one.
 * Its openingDate is the one read (kept), so it never differs on its own.
 */
export function unchangedOrgUnit(body: Json, existing: Json): boolean {
  return putChangesNothing(body, withoutReadOnly(existing));
}
