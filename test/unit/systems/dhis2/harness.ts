import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  startDhis2Sandbox,
  SEED_API_TOKEN,
  type Dhis2Sandbox,
  type Dhis2SandboxOptions,
} from '../../../../sandbox/dhis2/index.js';
import { createDhis2Client, type Dhis2Client } from '../../../../src/systems/dhis2/client.js';
import { dhis2SettingsFrom, type Dhis2Settings } from '../../../../src/systems/dhis2/settings.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import { MemoryJournal } from '../../../support/memory-journal.js';

/** A DHIS2 sandbox and a client against it, with settings a test may change live. */
export interface Harness {
  sandbox: Dhis2Sandbox;
  client: Dhis2Client;
  settings: Dhis2Settings;
  /** Moves the client's clock on (the account hold's, the zone's reuse): e.g. past a DHIS2 restart. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startHarness(
  opts: Dhis2SandboxOptions = {},
  overrides: Record<string, unknown> = {},
): Promise<Harness> {
  const sandbox = await startDhis2Sandbox(opts);
  const settings = dhis2SettingsFrom({
    'dhis2.baseUrl': sandbox.url,
    'dhis2.apiToken': SEED_API_TOKEN,
    'dhis2.timeoutMs': 3_000,
    ...overrides,
  });
  // the client's clock stands still unless the test moves it: a slow run under load never passes
  // the zone's reuse (ZONE_REUSE_MS) by itself, so the calls a test counts are the same every run
  const start = Date.now();
  let offset = 0;
  const client = createDhis2Client(() => settings, { retries: 1, retryDelayMs: 5, now: () => start + offset });
  return {
    sandbox,
    client,
    settings,
    advance: (ms) => {
      offset += ms;
    },
    close: async () => {
      await client.close();
      await sandbox.close();
    },
  };
}

/** A journal that remembers nothing: every step runs (a retry after the journal was lost). */
export const amnesiacJournal = (key = 'test'): StepJournal => ({
  idempotencyKey: key,
  run: (_step, action) => action(),
});

/** A journal that keeps completed steps, like the outbox's; all of a test's share one key unless it names one. */
export const memoryJournal = (key = 'test') => new MemoryJournal(key);

const FIXTURES = path.resolve('../shared/fixtures/dhis2');
export const fixturesPresent = existsSync(FIXTURES);
export const fixture = (rel: string): any => JSON.parse(readFileSync(path.join(FIXTURES, rel), 'utf8'));

/** What a proxy in front of DHIS2 answers when its own session lapsed: 200 with its sign-in page. */
export const LOGIN_PAGE = '<!DOCTYPE html><html><head><title>DHIS 2</title></head><body>Sign in</body></html>';

/** The next `method path` call is answered 200 with LOGIN_PAGE instead of DHIS2's JSON. */
export function loginPageOnce(h: Harness, method: string, path: string): void {
  h.sandbox.faults.add({ method, path, action: { type: 'status', status: 200, body: LOGIN_PAGE }, times: 1 });
}

/** A PATCH of one of the sandbox's controls (`/_sandbox/<path>`: sharing, org units, ownership); its answer. */
export async function sandboxPatch(sb: Dhis2Sandbox, path: string, body: unknown) {
  const res = await fetch(`${sb.url}/_sandbox/${path}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
