/**
 * For the e2e tests of what /ready says about OpenHIM (test/e2e/openhim): the settings of a
 * mediator in process that registers with an OpenHIM API and heartbeats every 50 ms, its /ready
 * line for OpenHIM, and a poll for that line to change.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_OPENHIM_USER } from '../../sandbox/openhim/index.js';
import type { RunningMediator } from '../../src/main.js';

export type ReadyCheck = { name: string; status: string; reason?: string };

/**
 * The environment of a mediator on port 0 and `dataDir`, accepting Basic `openhim:<inboundPassword>`,
 * registering at `apiUrl` as the sandbox's user (with `openhimPassword`, the right one by default).
 */
export function openHimMediatorEnv(o: {
  dataDir: string;
  inboundPassword: string;
  apiUrl: string;
  openhimPassword?: string;
}): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: o.dataDir,
    AUTH_PASSWORD: o.inboundPassword,
    OPENHIM_API_URL: o.apiUrl,
    OPENHIM_USERNAME: DEFAULT_OPENHIM_USER.email,
    OPENHIM_PASSWORD: o.openhimPassword ?? DEFAULT_OPENHIM_USER.password,
    OPENHIM_HEARTBEAT_MS: '50',
  };
}

/** The mediator's /ready, asked with `authorization`: its status code, body and OpenHIM line. */
export async function readyOf(mediator: RunningMediator, authorization: string) {
  const res = await mediator.app.inject({ url: '/ready', headers: { authorization } });
  const body = res.json() as { status: string; checks: ReadyCheck[] };
  return { code: res.statusCode, body, openhim: body.checks.find((c) => c.name === 'openhim') };
}

/** Polls `probe` every 25 ms until it gives a value other than undefined; throws naming `what` after `limitMs`. */
export async function untilDefined<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 15_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
