import { createRequire } from 'node:module';
import type { Agent as UndiciAgent } from 'undici';

/**
 * undici's Agent with the Dispatcher request API, loaded without undici's index (issue 18:
 * start-up). The index requires all of undici, 110 modules (fetch, WebSocket, caches, mocks,
 * proxies, interceptors), 65-100 ms of CPU at start-up on a shared host; the connectors use the
 * Agent and Dispatcher#request only: 31 modules, ~20 ms. This does for them what the index does
 * (undici index.js: `Object.assign(Dispatcher.prototype, api)`), so they are the very objects
 * `import { Agent } from 'undici'` returns, whichever loads first (test/unit/upstream/undici-agent.test.ts).
 * undici has no `exports` map, so these paths resolve as the index's own requires do.
 */
const require = createRequire(import.meta.url);
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js'));

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
export type Agent = UndiciAgent;
