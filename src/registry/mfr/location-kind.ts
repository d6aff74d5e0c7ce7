import type { FacilityKind } from '../../domain/facility.js';
import type { Code } from '../../domain/identifiers.js';
import { MCSD_LOCATION_TYPES } from '../../fhir/conventions.js';

/**
 * Facility or jurisdiction, from the mCSD type code of either generation: 4.x codes it in the
 * IHE.mCSD.Organization.Location.Types CodeSystem, GOFR's 2019-era profiles as a URN in the
 * RFC 3986 system (IHE/ITI.mCSD input/fsh/codes.fsh; intrahealth/gofr
 * fshcustom/input/fsh/facility.fsh). A Location with neither (a plain FHIR directory, or an mCSD
 * one that only sets physicalType) is decided by physicalType: `jdn` (jurisdiction) and `area` are
 * areas, anything else (`bu` building, `si` site, none) a facility — a Location is more often a
 * place that delivers services than a boundary, and an area wrongly read as a facility shows up in
 * the review queue, where a facility wrongly read as an area would silently never be matched.
 */
export const URN_SYSTEM = 'urn:ietf:rfc:3986';
const GOFR_2019: Record<string, FacilityKind> = {
  'urn:ihe:iti:mcsd:2019:facility': 'facility',
  'urn:ihe:iti:mcsd:2019:jurisdiction': 'area',
};
const MCSD_4: Record<string, FacilityKind> = { facility: 'facility', jurisdiction: 'area' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- FHIR JSON as the registry sent it, read defensively
type Json = Record<string, any>;

const codings = (concepts: unknown): Json[] =>
  (Array.isArray(concepts) ? concepts : []).flatMap((c: Json) => (Array.isArray(c?.coding) ? c.coding : []));

/** The kind an mCSD type coding says, or undefined when the coding is not one. */
export function mcsdKind(c: Json): FacilityKind | undefined {
  if (c.system === MCSD_LOCATION_TYPES) return MCSD_4[c.code];
  if (c.system === URN_SYSTEM || c.system === undefined) return GOFR_2019[c.code];
  return undefined;
}

export function locationKind(location: Json): FacilityKind {
  for (const c of codings(location.type)) {
    const kind = mcsdKind(c);
    if (kind) return kind;
  }
  const physical = codings([location.physicalType]).map((c) => c.code);
  return physical.includes('jdn') || physical.includes('area') ? 'area' : 'facility';
}

/** Service and other types, without the mCSD facility/jurisdiction codings (kind says that). */
export function serviceTypes(types: Code[] | undefined): Code[] | undefined {
  const kept = (types ?? []).filter((t) => !mcsdKind({ system: t.system, code: t.code }));
  return kept.length ? kept : undefined;
}
