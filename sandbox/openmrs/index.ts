export { startOpenMrsSandbox, type OpenMrsSandbox, type OpenMrsSandboxOptions } from './server.js';
export { FaultController, type FaultAction, type FaultRuleInput } from './faults.js';
export { ADMIN_PASSWORD, LOC, MASTER_FACILITY_CODE, TAGS } from './seed.js';
export { DRUGS, REASONS, CENTRAL_STORE_PARTY } from './stock.js';
