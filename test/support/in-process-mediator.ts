/**
 * The real mediator in process, for tests of what it serves with a given environment: listening
 * on 127.0.0.1 at a free port, over a data directory of its own (embedded SQLite unless `env`
 * names a database), logging nothing unless `env` or `start` says otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../src/config/load.js';
import { startMediator, type RunningMediator, type StartOptions } from '../../src/main.js';

/** Started with `env` besides; stopped and its directory (named from `prefix`) removed when `t` ends. */
export async function startMediatorIn(
  t: { teardown(fn: () => unknown): void },
  prefix: string,
  env: Record<string, string>,
  start?: StartOptions,
): Promise<RunningMediator> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const mediator = await startMediator(
    loadSettings({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', ...env } as NodeJS.ProcessEnv),
    start,
  ).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  t.teardown(async () => {
    await mediator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return mediator;
}
