/** What the bench needs of the DHIS2 sandbox's seed, without loading the sandbox into the bench process. */
export { SEED_API_TOKEN } from '../sandbox/dhis2/seed.js';
import { SEED_ORG_UNITS } from '../sandbox/dhis2/seed.js';

/** Facility org unit codes (the level-4 ones: those the data set is assigned to). */
export const SEED_ORG_UNITS_FOR_BENCH = SEED_ORG_UNITS.filter((o) => /^LK-(HC|DH|WH)-/.test(o.code)).map((o) => o.code);
