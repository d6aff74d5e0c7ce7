/**
 * The OpenHIM lifecycle as main.ts starts it (src/openhim/lifecycle.ts), wired to the OpenHIM API
 * sandbox for the registration and console-config e2e tests (test/e2e/openhim), through the real
 * openhim-mediator-utils client.
 */
import pino from 'pino';
import { DEFAULT_OPENHIM_USER } from '../../sandbox/openhim/index.js';
import { startOpenHimFromSettings, type OpenHimWiring } from '../../src/openhim/lifecycle.js';
import type { OpenHimHandle } from '../../src/openhim/registration.js';

type Teardowns = { teardown(fn: () => unknown): void };

/**
 * A pino logger at debug level that keeps every line as pino writes it, unredacted, so a test can
 * grep the lines for secrets the OpenHIM code must never log.
 */
export function keptLogLines(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { lines, logger };
}

/**
 * startOpenHimFromSettings against `sandbox` as its default user, beating every 50 ms, stopped at
 * the test's end.
 */
export function wiredTo(t: Teardowns, sandbox: { url: string }, wiring: OpenHimWiring): OpenHimHandle {
  const handle = startOpenHimFromSettings(
    {
      'openhim.apiUrl': sandbox.url,
      'openhim.username': DEFAULT_OPENHIM_USER.email,
      'openhim.password': DEFAULT_OPENHIM_USER.password,
      'openhim.heartbeatMs': 50,
    },
    wiring,
  )!;
  t.teardown(() => handle.stop());
  return handle;
}
