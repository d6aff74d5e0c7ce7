export { startMfrSandbox, DEFAULT_MFR_AUTH, type MfrSandbox, type MfrSandboxOptions, type MfrAuth } from './server.js';
export { MfrState, type OpenFacility, type Version } from './state.js';
export {
  REGISTRY_CODE_SYSTEM,
  MCSD_TYPES,
  URN_SYSTEM,
  GOFR_FACILITY,
  GOFR_JURISDICTION,
  SEED_FACILITIES,
  SEED_JURISDICTIONS,
  facilityId,
  jurisdictionId,
  organizationId,
} from './seed.js';
