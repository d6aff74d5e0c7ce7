/**
 * Small facility builders for the matcher's unit tests: a facility in an area path, and filler
 * facilities elsewhere so that the names under test are rare words, as they are in a real list.
 */
import type { Facility } from '../../src/domain/facility.js';

export const fac = (id: string, name: string, area: string[], extra: Partial<Facility> = {}): Facility => ({
  id,
  name,
  identifiers: [],
  status: 'active',
  kind: 'facility',
  areaPath: area,
  ...extra,
});

/** A facility of `county`, in its sub-county `sub` (the area path of the Kenyan lists). */
export const countyFacility = (
  id: string,
  name: string,
  sub: string,
  county: string,
  extra: Partial<Facility> = {},
): Facility => fac(id, name, [sub, county], extra);

/** Forty unrelated clinics in another area. */
export const fillerFacilities = (): Facility[] =>
  Array.from({ length: 40 }, (_, i) => fac(`x${i}`, `Zeta${i} Medical Clinic`, ['W', 'Other']));
