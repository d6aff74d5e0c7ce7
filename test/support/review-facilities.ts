import type { Facility } from '../../src/domain/facility.js';

/** A facility of the console's review tests: active, in Kilome, Makueni. */
export function reviewFacility(id: string, name: string): Facility {
  return { id, name, identifiers: [], status: 'active', kind: 'facility', areaPath: ['Kilome', 'Makueni'] };
}

/** The registry those tests reconcile against: two candidates for a "Kasikeu" record. */
export const REVIEW_REGISTRY: Facility[] = [
  reviewFacility('R4', 'Kasikeu Dispensary'),
  reviewFacility('R5', 'Kasikeu Health Centre'),
];
