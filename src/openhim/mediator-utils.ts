/**
 * openhim-mediator-utils, loaded the first time it is used: it brings axios and its dependencies
 * (about 3 MB of resident memory and tens of milliseconds of start-up), which a mediator not
 * registered with OpenHIM never needs. Registration and transaction updates are asynchronous
 * already, so they await the module.
 */
import { createRequire } from 'node:module';

type MediatorUtils = typeof import('openhim-mediator-utils').default;

let loading: Promise<MediatorUtils> | undefined;

export function mediatorUtils(): Promise<MediatorUtils> {
  loading ??= import('openhim-mediator-utils').then((m) => m.default);
  return loading;
}

/**
 * Gives every call utils makes a timeout. Utils sets none, so a call to a core that takes the
 * connection and never answers stays open for good after we stop waiting for it: one socket per
 * heartbeat, until the process runs out of file descriptors. The timeout goes on utils' own
 * axios, the CommonJS instance its `require('axios')` gets (an ESM import would be another one).
 */
export function boundUtilsCalls(timeoutMs: number): void {
  const requireFromUtils = createRequire(createRequire(import.meta.url).resolve('openhim-mediator-utils'));
  const axios = requireFromUtils('axios') as { defaults: { timeout?: number } };
  axios.defaults.timeout = timeoutMs;
}
