import type { Facility } from '../../domain/index.js';
import { NS } from '../../domain/namespace.js';
import { OPENMRS } from './errors.js';

/**
 * OpenMRS REST `location` ↔ domain Facility, pure. Read through REST, never FHIR2: FHIR2 has no
 * identifiers, drops attributes (where the registry code lives) and drops negative coordinates
 * (openmrs/openmrs-module-fhir2 LocationTranslatorImpl keeps a latitude/longitude only if ≥ 0).
 */
export const LOCATION_TAG_SYSTEM = `${NS}/CodeSystem/openmrs-location-tag`;

const ADDRESS_FIELDS = [
  'address1',
  'address2',
  'address3',
  'address4',
  'address5',
  'address6',
  'address7',
  'address8',
  'address9',
  'address10',
  'address11',
  'address12',
  'address13',
  'address14',
  'address15',
];

/**
 * The custom representation every read asks for: the fields the codec reads and nothing else
 * (no childLocations, which on a district hospital can be hundreds of refs).
 */
export const LOCATION_REP = `custom:(uuid,display,name,description,${ADDRESS_FIELDS.join(',')},cityVillage,stateProvince,country,postalCode,countyDistrict,latitude,longitude,retired,tags:(uuid,name),parentLocation:(uuid,display,retired),attributes:(uuid,attributeType:(uuid,name),value,voided),auditInfo)`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** A decimal number as OpenMRS stores it (text): anything else, blank included, is no number. */
function coordinate(v: unknown, limit: number): number | undefined {
  const s = typeof v === 'number' ? String(v) : str(v);
  if (!s || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : undefined;
}

/** Both coordinates or no position: a point with one half is no point (and never NaN). */
export function positionOf(latitude: unknown, longitude: unknown): Facility['position'] {
  const lat = coordinate(latitude, 90);
  const lon = coordinate(longitude, 180);
  return lat === undefined || lon === undefined ? undefined : { latitude: lat, longitude: lon };
}

/** OpenMRS writes offsets without a colon ("2014-09-18T00:00:00.000+0800"): an ISO instant. */
export function instantOf(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const t = Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export interface CodecSettings {
  /** Name or uuid of the attribute type holding the registry code. */
  registryCodeAttributeType: string;
  registryCodeSystem: string;
  facilityTags: string[];
}

const sameName = (a: unknown, b: string) => typeof a === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

/** Is this attribute type the one the settings name (by uuid or by name)? */
export function isRegistryCodeType(type: Json | undefined, wanted: string): boolean {
  // a uuid in any case: OpenMRS finds one so (MySQL's collation), and an operator may paste it in capitals
  return !!type && (sameName(type.uuid, wanted) || sameName(type.name, wanted) || sameName(type.display, wanted));
}

/** The registry code attribute of a location (the first not voided), if any. */
export function registryAttributeOf(loc: Json, s: Pick<CodecSettings, 'registryCodeAttributeType'>): Json | undefined {
  return ((loc.attributes ?? []) as Json[]).find(
    (a) =>
      a &&
      a.voided !== true &&
      isRegistryCodeType(a.attributeType, s.registryCodeAttributeType) &&
      str(typeof a.value === 'object' ? a.value?.display : a.value),
  );
}

export function isFacilityLocation(loc: Json, tags: string[]): boolean {
  if (!tags.length) return true;
  return ((loc.tags ?? []) as Json[]).some((t) =>
    tags.some((w) => t?.uuid === w || sameName(t?.name ?? t?.display, w)),
  );
}

export function decodeLocation(loc: Json, s: CodecSettings): Facility {
  const code = registryAttributeOf(loc, s);
  const codeValue = code ? str(typeof code.value === 'object' ? code.value?.display : code.value) : undefined;
  const lines = ['address1', 'address2'].map((k) => str(loc[k])).filter((x): x is string => !!x);
  const address = {
    lines: lines.length ? lines : undefined,
    city: str(loc.cityVillage),
    district: str(loc.countyDistrict),
    state: str(loc.stateProvince),
    country: str(loc.country),
  };
  const hasAddress = Object.values(address).some((v) => v !== undefined);
  const tags = ((loc.tags ?? []) as Json[]).map((t) => str(t?.name ?? t?.display)).filter((x): x is string => !!x);
  const areaPath = [str(loc.countyDistrict), str(loc.stateProvince)].filter((x): x is string => !!x);
  const audit = loc.auditInfo as Json | undefined;
  return {
    id: String(loc.uuid),
    identifiers: codeValue ? [{ system: s.registryCodeSystem, value: codeValue }] : [],
    name: str(loc.name) ?? str(loc.display) ?? String(loc.uuid),
    status: loc.retired === true ? 'inactive' : 'active',
    kind: isFacilityLocation(loc, s.facilityTags) ? 'facility' : 'area',
    types: tags.length ? tags.map((t) => ({ system: LOCATION_TAG_SYSTEM, code: t, display: t })) : undefined,
    partOf: str(loc.parentLocation?.uuid),
    areaPath: areaPath.length ? areaPath : undefined,
    position: positionOf(loc.latitude, loc.longitude),
    address: hasAddress ? address : undefined,
    description: str(loc.description),
    source: { system: OPENMRS, id: String(loc.uuid) },
    lastUpdated: instantOf(audit?.dateChanged) ?? instantOf(audit?.dateCreated),
  };
}

/** The registry code of a domain facility: its identifier in the registry's system. */
export function registryCodeOf(f: Facility, system: string): string | undefined {
  return f.identifiers.find((i) => i.system === system)?.value;
}

/** Coordinates as OpenMRS stores them: decimal text, the sign kept. */
const coordinateText = (n: number) => String(n);

/**
 * The location fields the registry owns, for a create or an update (attributes and retirement are
 * separate calls). Tag names are kept as the location has them plus the facility tag, so a
 * propagated update never strips tags OpenMRS users rely on (Login Location …).
 */
export function encodeLocation(
  f: Facility,
  opts: { facilityTag?: string; existingTags?: string[]; parentUuid?: string },
): Json {
  const body: Json = {
    name: f.name,
    description: f.description,
    address1: f.address?.lines?.[0],
    address2: f.address?.lines?.[1],
    cityVillage: f.address?.city,
    countyDistrict: f.address?.district,
    stateProvince: f.address?.state,
    country: f.address?.country,
    latitude: f.position ? coordinateText(f.position.latitude) : undefined,
    longitude: f.position ? coordinateText(f.position.longitude) : undefined,
  };
  // what the registry does not say is left as OpenMRS has it (KenyaEMR keeps the facility type in description)
  for (const [k, v] of Object.entries(body)) if (v === null || v === undefined) delete body[k];
  const tags = new Set(opts.existingTags ?? []);
  if (opts.facilityTag) tags.add(opts.facilityTag);
  if (tags.size) body.tags = [...tags];
  if (opts.parentUuid) body.parentLocation = opts.parentUuid;
  return body;
}
