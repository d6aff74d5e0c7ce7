/**
 * `serve` with OPENHIM_API_URL but no OPENHIM_PASSWORD: OpenHIM's API refuses every call without
 * it, and unlike an upstream's credentials it cannot come later from the OpenHIM console (the
 * console is reached through it). It used to start, register with an empty password for ever and
 * leave the reason in /ready; now start-up stops with one line naming both settings, exit 1.
 * A separate process, as an operator runs it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { freePort } from '../../support/net.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');

t.test('OPENHIM_API_URL without OPENHIM_PASSWORD: one line naming both, exit 1', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'openhim-no-pw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATA_DIR: dir,
    AUTH_PASSWORD: 'Inbound7Secret3Pw',
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    OPENHIM_API_URL: `http://127.0.0.1:${await freePort()}`,
  };
  const outcome = await run(tsx, [cliPath, 'serve'], { env, timeout: 20_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number | null; stderr: string; killed?: boolean }) => ({
      code: err.killed ? 'still serving' : err.code,
      stderr: err.stderr,
    }),
  );
  t.equal(outcome.code, 1, 'exit 1');
  t.equal(
    outcome.stderr.trim(),
    'configuration error: openhim.apiUrl (OPENHIM_API_URL) is set but openhim.password (OPENHIM_PASSWORD) is not: OpenHIM refuses every API call without it; set it, or unset OPENHIM_API_URL to run without OpenHIM',
  );
});
