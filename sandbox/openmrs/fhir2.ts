import type { Location } from './model.js';
import type { OpenMrsStore } from './state.js';

/**
 * The FHIR2 module's Location, with its losses reproduced so tests can show why the connector
 * reads REST instead (openmrs/openmrs-module-fhir2 LocationTranslatorImpl, FhirLocationDaoImpl,
 * BaseFhirDao.handleRetireable): no `identifier` at all (attributes other than the contact-point
 * one are dropped), a latitude or longitude kept only when ≥ 0 (so a point west of Greenwich or
 * south of the equator loses a half, or all of it), retired locations left out of every search
 * (a read by id still works), `partOf` omitted when the parent is retired, `meta.lastUpdated` =
 * dateChanged or dateCreated.
 */
type Json = Record<string, unknown>;
export const LOCATION_TAG_SYSTEM = 'http://fhir.openmrs.org/ext/location-tag';
const ADDRESS_EXT = 'http://fhir.openmrs.org/ext/address';

function nonNegative(v: string | null): number | undefined {
  if (!v || !v.trim()) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function toFhirLocation(store: OpenMrsStore, l: Location): Json {
  const lat = nonNegative(l.latitude);
  const lon = nonNegative(l.longitude);
  const parent = l.parentUuid ? store.locations.get(l.parentUuid) : undefined;
  const lines = (['address1', 'address2', 'address3', 'address4', 'address5', 'address6'] as const).filter((f) => l[f]);
  const address: Json = {
    ...(l.cityVillage ? { city: l.cityVillage } : {}),
    ...(l.stateProvince ? { state: l.stateProvince } : {}),
    ...(l.country ? { country: l.country } : {}),
    ...(l.postalCode ? { postalCode: l.postalCode } : {}),
    ...(lines.length
      ? {
          extension: [
            { url: ADDRESS_EXT, extension: lines.map((f) => ({ url: `${ADDRESS_EXT}#${f}`, valueString: l[f] })) },
          ],
        }
      : {}),
  };
  const tags = l.tagUuids.map((u) => store.tags.get(u)!).filter(Boolean);
  return {
    resourceType: 'Location',
    id: l.uuid,
    meta: {
      lastUpdated: new Date(l.audit.dateChanged ?? l.audit.dateCreated).toISOString(),
      ...(tags.length
        ? { tag: tags.map((t) => ({ system: LOCATION_TAG_SYSTEM, code: t.name, display: t.description ?? t.name })) }
        : {}),
    },
    status: l.retired ? 'inactive' : 'active',
    name: l.name,
    ...(l.description ? { description: l.description } : {}),
    ...(Object.keys(address).length ? { address } : {}),
    ...(lat !== undefined || lon !== undefined
      ? {
          position: {
            ...(lon !== undefined ? { longitude: lon } : {}),
            ...(lat !== undefined ? { latitude: lat } : {}),
          },
        }
      : {}),
    ...(parent && !parent.retired
      ? { partOf: { reference: `Location/${parent.uuid}`, type: 'Location', display: parent.name } }
      : {}),
  };
}

/** `name` (starts with), `_tag` ([system|]code), `_id`, `_lastUpdated` (ge/gt/le/lt/eq), `partof`; retired never match. */
export function searchFhirLocations(store: OpenMrsStore, q: Record<string, string | undefined>): Location[] {
  const tagCode = q._tag?.includes('|') ? q._tag.split('|')[1] : q._tag;
  return [...store.locations.values()].filter((l) => {
    if (l.retired) return false;
    if (q._id && !q._id.split(',').includes(l.uuid)) return false;
    if (q.name && !l.name.toLowerCase().startsWith(q.name.toLowerCase())) return false;
    if (q.partof && l.parentUuid !== q.partof.replace(/^Location\//, '')) return false;
    if (tagCode && !l.tagUuids.some((u) => store.tags.get(u)?.name.toLowerCase() === tagCode.toLowerCase()))
      return false;
    if (q._lastUpdated) {
      const m = /^(ge|gt|le|lt|eq)?(.+)$/.exec(q._lastUpdated)!;
      const at = l.audit.dateChanged ?? l.audit.dateCreated;
      const t = Date.parse(m[2]);
      const ok = { ge: at >= t, gt: at > t, le: at <= t, lt: at < t, eq: at === t }[(m[1] ?? 'eq') as 'ge'];
      if (!ok) return false;
    }
    return true;
  });
}
