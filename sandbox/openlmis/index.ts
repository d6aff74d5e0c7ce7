export { startOpenLmisSandbox, type OpenLmisSandbox, type OpenLmisSandboxOptions } from './server.js';
export type { FaultAction, FaultRule, FaultRuleInput, FaultController } from './faults.js';
export type { SandboxStateApi, ShipLine } from './state-api.js';
export { buildSeed, MIGRATION_REASON_IDS, type SeedOptions } from './seed.js';
export { stableId } from './ids.js';
export { packsToOrder } from './packs.js';
