export { startMsupplySandbox, type MsupplySandbox, type MsupplySandboxOptions } from './server.js';
export { MsupplyState } from './state.js';
export type { MsupplyFaultAction, MsupplyFaultInput } from './faults.js';
export { buildSeed, SEED_PASSWORD } from './seed.js';
export { loadMsupplySchema, msupplySchemaFile } from './schema.js';
