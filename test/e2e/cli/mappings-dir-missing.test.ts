/**
 * A mapping directory that is not there (a typo in MAPPINGS_DIR or `check-mappings --dir`) or is a
 * file is said once, naming it: it used to be reported as each of the seven mapping files
 * unreadable (`products.json: / cannot be read (ENOENT)` at start-up; seven INVALID entries from
 * check-mappings), which reads as files missing from a directory that is fine. Separate
 * processes, as an operator runs them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { freePort } from '../../support/net.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');

async function cli(args: string[], env: Record<string, string> = {}) {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  return run(tsx, [cliPath, ...args], { env: { ...base, ...env }, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0 as number | string, stdout, stderr }),
    (err: { code: number | null; stdout: string; stderr: string; killed?: boolean }) => ({
      code: err.killed ? 'still running' : (err.code ?? 'signal'),
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  );
}

t.test('check-mappings --dir that is not a directory: one line, exit 1', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mappings-dir-missing-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = path.join(dir, 'site-mappings');
  const gone = await cli(['check-mappings', '--dir', missing]);
  t.equal(gone.code, 1, 'not there: exit 1');
  t.equal(gone.stderr, `mapping directory ${missing} does not exist (ENOENT)\n`);
  t.equal(gone.stdout, '', 'no report of seven unreadable files');
  const aFile = path.join(dir, 'products.json');
  writeFileSync(aFile, '{}');
  const file = await cli(['check-mappings', '--dir', aFile, '--json']);
  t.equal(file.code, 1, 'a file: exit 1');
  t.equal(file.stderr, `mapping directory ${aFile} is not a directory\n`);
});

t.test('serve with MAPPINGS_DIR not there: one configuration line naming the setting', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mappings-dir-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = path.join(dir, 'site-mappings');
  const outcome = await cli(['serve'], {
    DATA_DIR: dir,
    AUTH_PASSWORD: 'Inbound5Secret8Pw',
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    MAPPINGS_DIR: missing,
  });
  t.equal(outcome.code, 1, 'exit 1');
  t.equal(
    outcome.stderr.trim(),
    `configuration error: mappings.dir (MAPPINGS_DIR): ${missing} does not exist (ENOENT)`,
  );
});

t.test('reconcile --mappings-dir not there: one configuration line naming the option', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mappings-dir-reconcile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const list = path.join(dir, 'facilities.csv');
  writeFileSync(list, 'id,name\nF1,Mberewa Health Centre\n');
  const missing = path.join(dir, 'site-mappings');
  const args = ['reconcile', '--left', list, '--right', list, '--out', path.join(dir, 'out')];
  const outcome = await cli([...args, '--mappings-dir', missing]);
  t.equal(outcome.code, 1, 'exit 1');
  t.equal(
    outcome.stderr.trim(),
    `configuration error: --mappings-dir (MAPPINGS_DIR): ${missing} does not exist (ENOENT)`,
  );
});
