export { buildFaultyUpstream, startFaultyUpstream, type FaultyUpstream, type FaultyUpstreamOptions } from './server.js';
export { NO_FAULTS, drawFault, type FaultSettings, type FaultRates } from './faults.js';
export { UpstreamState } from './state.js';
export { faultyUpstreamHandlers, type FaultyUpstreamHandlers } from './handlers.js';
