/**
 * The operator CLI beside a running demo (s18-X1): `jobs list` needs no inbound credentials (it
 * serves no client) and reads the demo's database, found by its marker as `outbox` finds it;
 * `jobs run` and the bridges say they do not run the demo's job; `propagation` reads the demo's
 * database too.
 * `serve` still refuses to start without inbound credentials.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { storeMadeIn } from '../../support/existing-store.js';
import { loadOperatorSettings, loadSettings } from '../../../src/config/load.js';
import { writeDemoMarker } from '../../../src/cli/demo-data.js';
import { openStore } from '../../../src/store/index.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../src/cli/index.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** This shell's environment without any store, inbound-auth or configuration-file setting. */
function bareEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (/^(AUTH_|DATABASE_URL$|DATA_DIR$|CONFIG_FILE$|ADMIN_TOKEN$|TEST_DATABASE_URL$)/.test(key)) delete env[key];
  return env;
}

async function cli(cwd: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env: bareEnv() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('settings: a command needs no inbound credentials, serve does', async (t) => {
  t.throws(() => loadSettings({}), /auth\.mode=basic needs AUTH_PASSWORD/, 'serve still stops without them');
  t.throws(() => loadSettings({ AUTH_MODE: 'bearer' }), /AUTH_BEARER_TOKEN/);
  t.equal(loadOperatorSettings({})['auth.mode'], 'basic', 'a command loads the same settings without them');
  t.throws(
    () => loadOperatorSettings({ SCHEDULE_RECONCILE: 'every tuesday' }),
    /schedules\.reconcile/,
    'the other rules still hold for a command (a schedule it lists)',
  );
});

t.test('jobs list and jobs run beside a running demo, without AUTH_PASSWORD', async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'beside-demo-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const demoDir = path.join(cwd, 'data', 'demo');
  const store = await openStore({ dataDir: demoDir });
  const started = await store.startJobRun({
    name: 'reconcile',
    trigger: 'manual',
    instance: 'the demo',
    startedAt: Date.UTC(2026, 11, 4, 9),
  });
  await store.finishJobRun(started!.id, {
    endedAt: Date.UTC(2026, 11, 4, 9, 1),
    outcome: 'ok',
    detail: 'a run of the demo',
  });
  await store.close();
  // this test's own process stands for the demo: alive while the CLI looks
  writeDemoMarker(
    { pid: process.pid, dataDir: demoDir, url: 'http://127.0.0.1:3917', startedAt: new Date().toISOString() },
    cwd,
  );

  const listed = await cli(cwd, ['jobs', 'list']);
  t.equal(listed.code, 0, `jobs list runs: ${listed.stderr}`);
  t.match(listed.stdout, /^reconcile {2}schedule /m, 'lists the jobs');
  t.match(listed.stdout, /a run of the demo/, "with the runs in the demo's database");
  t.match(listed.stderr, new RegExp(`the running demo's database: ${demoDir.replace(/[.\\]/g, '\\$&')}`));

  const ran = await cli(cwd, ['jobs', 'run', 'reconcile']);
  t.equal(ran.code, 2, 'not run (exit 2)');
  t.match(
    ran.stderr,
    /^not run: a demo runs from this directory, .* run the demo's job with POST http:\/\/127\.0\.0\.1:3917\/admin\/jobs\/reconcile\/run, or name a database with --data-dir or --database-url\n$/,
    'a run by hand says it is not the demo’s, in one line',
  );
  t.notOk(existsSync(path.join(cwd, 'data', 'mediator.db')), 'nor run on ./data instead');
  const unknown = await cli(cwd, ['jobs', 'run', 'reconcil']);
  t.equal(unknown.code, 2, 'a job that does not exist: exit 2');
  t.match(unknown.stderr, /^no job named reconcil; jobs: reconcile, /, 'says so, not "run the demo\'s job reconcil"');
  t.notMatch(ran.stderr, /AUTH_PASSWORD/, 'and needs no inbound credentials either');
  const dry = await cli(cwd, ['bridge', 'stock-to-dhis2', '--dry-run']);
  t.equal(dry.code, 2, 'a dry run beside the demo: not run (exit 2)');
  t.match(
    dry.stderr,
    /^not run: a demo runs from this directory, .*a dry run needs this shell set up .*DATA_DIR or DATABASE_URL.*POST http:\/\/127\.0\.0\.1:3917\/admin\/jobs\/stockToDhis2\/run is no dry run: it runs the demo's job for real\n$/,
    'says the demo’s job is a real run, not offered as the dry run asked for',
  );
  t.notMatch(dry.stderr, /run the demo's job with POST/, 'a real run is not suggested in place of a dry one');
  for (const [args, job] of [
    [['bridge', 'stock-to-dhis2'], 'stockToDhis2'],
    [['bridge', 'rts-to-msupply'], 'rtsToMsupply'],
  ] as const) {
    const bridge = await cli(cwd, [...args]);
    t.equal(bridge.code, 2, `${args.join(' ')}: not run (exit 2)`);
    t.match(
      bridge.stderr,
      new RegExp(
        `^not run: a demo runs from this directory, .* POST http://127\\.0\\.0\\.1:3917/admin/jobs/${job}/run, or name a database with DATA_DIR or DATABASE_URL\n$`,
      ),
      `${args.join(' ')}: names the demo's job, not this shell's missing DHIS2`,
    );
  }
  t.notOk(existsSync(path.join(cwd, 'data', 'mediator.db')), 'no bridge ran on ./data either');
  const propagation = await cli(cwd, ['propagation']);
  t.equal(propagation.code, 0, propagation.stderr);
  t.match(propagation.stderr, /the running demo's database/, '`propagation` reads it too');

  const after = await openStore({ dataDir: demoDir });
  t.teardown(() => after.close());
  t.equal((await after.listJobRuns('reconcile')).length, 1, "nothing ran in the demo's database");
});

t.test('bridge commands need no inbound credentials either', async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bridge-no-auth-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  await storeMadeIn(path.join(cwd, 'data'));
  for (const args of [
    ['bridge', 'stock-to-dhis2', '--dry-run'],
    ['bridge', 'rts-to-msupply'],
  ]) {
    const { code, stderr } = await cli(cwd, args);
    t.notMatch(stderr, /AUTH_PASSWORD/, `${args.join(' ')}: no inbound credentials asked for`);
    // nothing configured here: the bridge's own answer (exit 2, naming what to configure)
    t.equal(code, 2, `${args.join(' ')}: exit 2, not configured`);
    t.match(stderr, /no DHIS2 .*configured/, `${args.join(' ')}: says what is missing`);
  }
});
