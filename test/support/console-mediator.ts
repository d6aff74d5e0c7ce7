import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { loadSettings } from '../../src/config/load.js';
import { startMediator, type RunningMediator } from '../../src/main.js';

/** A data directory of its own for one test (SQLite store, sessions), removed with the test. */
export function mediatorDataDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The real mediator with its operator console and nothing else to talk to (no OpenLMIS), on a
 * free port over the data in `dir`: started again on the same `dir`, it is the same mediator
 * after a restart. The caller stops it.
 */
export function startConsoleMediator(dir: string, adminToken: string): Promise<RunningMediator> {
  return startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: 'rig-password',
      ADMIN_TOKEN: adminToken,
      OPENLMIS_BASE_URL: '',
    } as NodeJS.ProcessEnv),
  );
}
