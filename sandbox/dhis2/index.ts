export { startDhis2Sandbox, type Dhis2Sandbox, type Dhis2SandboxOptions } from './server.js';
export { Dhis2State } from './state.js';
export {
  SEED_API_TOKEN,
  SEED_PRODUCT_CODES,
  SEED_MEASURES,
  MONTHLY_DATA_SET,
  WEEKLY_DATA_SET,
  DEFAULT_COC,
  seedUid,
} from './seed.js';
export { mediatorSettings } from './mediator-settings.js';
export { CONSIGNMENT, REQUISITION, REQUISITION_DATA_ELEMENTS, RTS, RTS_DESTINATIONS, TrackerState } from './tracker.js';
