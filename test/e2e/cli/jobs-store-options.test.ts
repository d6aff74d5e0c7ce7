/**
 * `jobs list` and `jobs run` take `--data-dir` and `--database-url` as `outbox`, `propagation` and
 * `reconcile` do: an operator pointing every command at one database the same way. Before, `jobs`
 * read only DATA_DIR and DATABASE_URL, and the option was refused as unknown. The option wins over
 * the environment, as commander's env-bound options do for the other commands.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { storeMadeIn } from '../../support/existing-store.js';

const run = promisify(execFile);
const cliPath = path.resolve(import.meta.dirname, '../../../src/cli/index.ts');
const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');

async function cli(env: NodeJS.ProcessEnv, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(tsx, [cliPath, ...args], {
      env: { ...process.env, DATABASE_URL: '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

type Listed = { name: string; lastRuns: { trigger: string; outcome: string }[] }[];

t.test('jobs run and jobs list use the database --data-dir names, over DATA_DIR', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'jobs-store-options-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const named = path.join(root, 'named');
  const fromEnv = path.join(root, 'env');
  for (const dir of [named, fromEnv]) await storeMadeIn(dir);

  const ran = await cli({ DATA_DIR: fromEnv }, 'jobs', 'run', 'outboxPrune', '--data-dir', named);
  t.equal(ran.code, 0, `jobs run --data-dir: exit 0 (${ran.stderr})`);
  t.match(JSON.parse(ran.stdout), { job: 'outboxPrune', run: { trigger: 'manual', outcome: 'ok' } });
  t.ok(existsSync(path.join(named, 'mediator.db')), 'the run was recorded in the named directory');

  const listed = await cli({ DATA_DIR: fromEnv }, 'jobs', 'list', '--json', '--data-dir', named);
  t.equal(listed.code, 0, `jobs list --data-dir: exit 0 (${listed.stderr})`);
  const prune = (JSON.parse(listed.stdout) as Listed).find((j) => j.name === 'outboxPrune')!;
  t.match(prune.lastRuns, [{ trigger: 'manual', outcome: 'ok' }], 'its run is listed from there');

  const elsewhere = await cli({ DATA_DIR: fromEnv }, 'jobs', 'list', '--json');
  t.equal(elsewhere.code, 0, elsewhere.stderr);
  const none = (JSON.parse(elsewhere.stdout) as Listed).find((j) => j.name === 'outboxPrune')!;
  t.same(none.lastRuns, [], 'DATA_DIR alone: the other database, no run');

  const byUrl = await cli(
    { DATA_DIR: fromEnv },
    'jobs',
    'list',
    '--json',
    '--database-url',
    `sqlite:${path.join(named, 'mediator.db')}`,
  );
  t.equal(byUrl.code, 0, byUrl.stderr);
  t.equal(
    (JSON.parse(byUrl.stdout) as Listed).find((j) => j.name === 'outboxPrune')!.lastRuns.length,
    1,
    '--database-url too',
  );
});
