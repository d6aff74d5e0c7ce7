/**
 * `--limit N` of `outbox list`, `jobs list` and `propagation`, as a script or a tired operator
 * types it: a value that is no whole number of at least 1 is one usage line and exit 1, before
 * any database is opened — not a datatype stack from the driver (`abc`), nor "no limit" on SQLite
 * and an error on PostgreSQL (`-1`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { storeMadeIn } from '../../support/existing-store.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');

/**
 * The real CLI, node with tsx's loader (one process; the tsx command starts node again beneath
 * itself).
 */
async function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cliPath, ...args], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const commands = [['outbox', 'list'], ['jobs', 'list'], ['propagation']];

t.test('a --limit that is no count is a usage error naming the option', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-limit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const command of commands) {
    // a command's four values at once (each its own process, refused before any database is
    // opened), checked in order
    const values = ['abc', '-1', '0', '2.5'];
    const answers = await Promise.all(values.map((value) => cli(dir, ...command, '--limit', value)));
    for (const [i, res] of answers.entries()) {
      const name = `${command.join(' ')} --limit ${values[i]}`;
      t.equal(res.code, 1, `${name}: exit 1`);
      t.match(res.stderr, /option '--limit <n>' argument '.*' is invalid\. give a whole number of at least 1\./, name);
      t.notMatch(res.stderr, /\n\s+at /, `${name}: no stack`);
    }
  }
});

t.test('a good --limit still lists', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-limit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await storeMadeIn(dir);
  for (const command of commands) {
    const res = await cli(dir, ...command, '--limit', '3');
    t.equal(res.code, 0, `${command.join(' ')} --limit 3: exit 0 (${res.stderr})`);
  }
});
