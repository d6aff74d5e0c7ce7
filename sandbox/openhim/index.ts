export {
  startOpenHimSandbox,
  DEFAULT_OPENHIM_USER,
  type OpenHimSandbox,
  type OpenHimSandboxOptions,
  type OpenHimSandboxState,
  type StoredTransaction,
  type MediatorEnvelope,
  newTransactionId,
  routedTransaction,
} from './server.js';
export {
  validateRegistration,
  validateConfig,
  validateConfigDefs,
  validateMediatorDocument,
  ValidationError,
} from './validation.js';
export { validSemver, semverGt } from './semver.js';
export { startOpenHimSandbox as default } from './server.js';
export { openhimAdmin, type AdminCredentials } from './admin-client.js';
