import { facilityId, jurisdictionId } from '../../sandbox/mfr/index.js';
import { connectorOf, idByCode } from './linked-facility.js';
import type { PropagationRig } from './propagation-rig.js';

/**
 * The facility the move-under-a-district tests move (registry sandbox and OpenLMIS seed alike) and
 * the district it is moved under, which OpenLMIS has as a zone while the registry has not yet
 * published it (test/e2e/registry/propagation/move-under-unpublished*.test.ts).
 */
export const CODE = 'LK-HC-101';
export const REGISTRY_ID = facilityId(CODE);
export const DISTRICT_CODE = 'LKL-N-TSG';
export const DISTRICT = jurisdictionId(DISTRICT_CODE);

/** The facility's OpenLMIS record linked to its registry facility, and the district's OpenLMIS zone. */
export async function linkedInOpenLmis(rig: PropagationRig) {
  const lmis = connectorOf(rig, 'openlmis');
  const lmisId = (await idByCode(lmis, CODE))!;
  await rig.link('openlmis', lmisId, REGISTRY_ID);
  const zone = await idByCode(lmis, DISTRICT_CODE, 'area');
  return { lmis, lmisId, zone };
}
