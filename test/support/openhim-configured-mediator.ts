/**
 * The real mediator in process, configured live from the OpenHIM sandbox's console, for the tests
 * of console saves applied or refused (test/unit/config/live-settings.test.ts,
 * test/e2e/openhim): registered and beating every 40 ms, reading the OpenLMIS sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Test } from 'tap';
import { DEFAULT_OPENHIM_USER, startOpenHimSandbox, type OpenHimSandbox } from '../../sandbox/openhim/index.js';
import { startOpenLmisSandbox, type OpenLmisSandbox } from '../../sandbox/openlmis/index.js';
import { loadSettings } from '../../src/config/load.js';
import { startMediator, type RunningMediator } from '../../src/main.js';
import { openLmisEnv } from './openlmis-e2e.js';

/** A log line of the mediator's, as pino wrote it (level as pino's number: 30 info, 40 warn). */
export interface MediatorLogLine {
  level: number;
  msg: string;
  component?: string;
  reqId?: string;
  err?: { message?: string };
}

export interface ConfiguredMediator {
  openhim: OpenHimSandbox;
  lmis: OpenLmisSandbox;
  mediator: RunningMediator;
  /** Every line the mediator logged at `logLevel` or above, parsed, in order. */
  lines: MediatorLogLine[];
}

/**
 * The mediator accepting Basic `openhim:<password>`, on a data directory of its own, with `env`
 * besides; it, the sandboxes and the directory go when `t` ends.
 */
export async function startConfiguredMediator(
  t: Test,
  o: { password: string; logLevel: string; env?: Record<string, string> },
): Promise<ConfiguredMediator> {
  const openhim = await startOpenHimSandbox();
  const lmis = await startOpenLmisSandbox();
  const dir = mkdtempSync(path.join(tmpdir(), 'openhim-configured-'));
  const stopSandboxes = async () => {
    await lmis.close();
    await openhim.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const lines: MediatorLogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      AUTH_PASSWORD: o.password,
      OPENHIM_API_URL: openhim.url,
      OPENHIM_PASSWORD: DEFAULT_OPENHIM_USER.password,
      OPENHIM_HEARTBEAT_MS: '40',
      ...openLmisEnv(lmis.url),
      ...o.env,
    } as NodeJS.ProcessEnv),
    { logger: pino({ level: o.logLevel }, sink) },
  ).catch(async (err: unknown) => {
    await stopSandboxes(); // a mediator that would not start must not leave the sandboxes holding the test open
    throw err;
  });
  t.teardown(async () => {
    await mediator.stop();
    await stopSandboxes();
  });
  return { openhim, lmis, mediator, lines };
}
