import { createRequire } from 'node:module';
import type { buildConnector as BuildConnector } from 'undici';

/**
 * Which errors undici's connector reported. It reports an error only until it hands the socket
 * over (on 'secureConnect' for TLS); undici writes a request only on a socket handed over, so such
 * an error came before any request byte. Anything later (a reset, a TLS 1.2 renegotiation the
 * server starts after reading the request, whose certificate Node verifies again and may refuse
 * with the same codes as at connect) reaches the request through the socket, unmarked.
 */
const require = createRequire(import.meta.url);

/**
 * Loaded on a pool's first use, not with this module: errors.ts reads the marks at start-up, and a
 * mediator with no upstream configured loads no undici (test/e2e/systems/lazy-connectors).
 */
const buildConnector = (options: BuildConnector.BuildOptions): BuildConnector.connector =>
  (require('undici/lib/core/connect.js') as typeof BuildConnector)(options);

const whileConnecting = new WeakSet<object>();

/** Did undici's connector report `err`, before it handed a socket over? */
export function reportedWhileConnecting(err: unknown): boolean {
  return typeof err === 'object' && err !== null && whileConnecting.has(err);
}

/** undici's own connector for `options` (what an Agent builds from them), marking what it reports. */
export function markingConnector(options: BuildConnector.BuildOptions): BuildConnector.connector {
  const connect = buildConnector(options);
  return (opts, callback) =>
    connect(opts, (...args) => {
      if (args[0]) whileConnecting.add(args[0]);
      callback(...args);
    });
}
