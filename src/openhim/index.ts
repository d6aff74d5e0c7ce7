export {
  startOpenHim,
  canonicalJson,
  type StartOpenHimOptions,
  type OpenHimHandle,
  type OpenHimLogger,
} from './registration.js';
export { loadMediatorConfig, withRouteTarget, type MediatorRegistration, type ConfigDef } from './mediator-config.js';
export { openhimConfigToSettings, OPENHIM_SETTINGS, SECRET_SETTINGS, type OpenHimConfig } from './config-defs.js';
export {
  buildOpenHimEnvelope,
  mediatorStatusFor,
  isTransientStatus,
  OPENHIM_CONTENT_TYPE,
  type OpenHimEnvelope,
} from './envelope.js';
export {
  runWithOrchestrations,
  recordUpstreamCall,
  currentOrchestrations,
  observeUpstreamCalls,
  type UpstreamCall,
} from '../platform/call-recording.js';
export { default as openhimPlugin, type OpenHimPluginOptions } from './plugin.js';
export { startOpenHimFromSettings, type OpenHimWiring } from './lifecycle.js';
export { createTransactionUpdater, finalResponseOf } from './transaction-updates.js';
