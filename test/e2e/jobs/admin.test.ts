/**
 * The scheduler in the running mediator (startMediator with the OpenHIM and OpenLMIS sandboxes,
 * SQLite): /admin/jobs needs the admin token and shows the reconcile job, its schedule and next
 * run; a run by hand reconciles the sandbox's facilities against a registry file and shows in
 * /admin/jobs; a schedule changed in the OpenHIM console runs the job on the new schedule without
 * a restart; and `cli jobs list|run` (a separate process on the same database) shows and runs it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import t from 'tap';
import { startOpenHimSandbox, openhimAdmin, DEFAULT_OPENHIM_USER } from '../../../sandbox/openhim/index.js';
import { startOpenLmisSandbox } from '../../../sandbox/openlmis/index.js';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';
import { openLmisEnv } from '../../support/openlmis-e2e.js';

const ADMIN = 'jobs-admin-token-7731';
const registration = JSON.parse(readFileSync(new URL('../../../mediator-config.json', import.meta.url), 'utf8')) as {
  urn: string;
  config: Record<string, unknown>;
};
const execFileP = promisify(execFile);
const cliPath = path.resolve(import.meta.dirname, '../../../src/cli/index.ts');
const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');

// three of the OpenLMIS sandbox's seeded facilities as a registry would list them (another id, a spelling)
const registryCsv = `id,name,latitude,longitude
MFR-101,Mberewa Health Centre,-10.412,34.121
MFR-102,Kasito Health Center,-10.455,34.187
MFR-201,Mberewa District Hospital,-10.398,34.102
`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

type RunBody = {
  trigger: string;
  outcome: string;
  start: string;
  end?: string;
  tick?: string;
  instance?: string;
  counts?: Record<string, number>;
};
type JobsBody = {
  jobs: { name: string; schedule: string; setting: string; nextRun: string | null; lastRuns: RunBody[] }[];
};

t.test('scheduler in the running mediator', async (t) => {
  const openhim = await startOpenHimSandbox();
  const lmis = await startOpenLmisSandbox();
  const dir = mkdtempSync(path.join(tmpdir(), 'jobs-e2e-'));
  const registryFile = path.join(dir, 'registry.csv');
  writeFileSync(registryFile, registryCsv);
  const env = {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dir,
    AUTH_MODE: 'off',
    ADMIN_TOKEN: ADMIN,
    REGISTRY_FILE: registryFile,
    ...openLmisEnv(lmis.url),
  };
  const mediator = await startMediator(
    loadSettings({
      ...env,
      OPENHIM_API_URL: openhim.url,
      OPENHIM_PASSWORD: DEFAULT_OPENHIM_USER.password,
      OPENHIM_HEARTBEAT_MS: '40',
    } as NodeJS.ProcessEnv),
    { logger: pino({ level: 'silent' }) },
  );
  t.teardown(async () => {
    await mediator.stop();
    await lmis.close();
    await openhim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const admin = (method: string, url: string, token: string | null = ADMIN) =>
    fetch(`${mediator.url}${url}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const jobs = async () => (await (await admin('GET', '/admin/jobs')).json()) as JobsBody;

  await t.test('admin auth is required', async (t) => {
    for (const [method, url] of [
      ['GET', '/admin/jobs'],
      ['POST', '/admin/jobs/reconcile/run'],
    ]) {
      const none = await admin(method, url, null);
      t.equal(none.status, 401, `${method} ${url} without a token`);
      t.match(await none.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
      t.equal(
        (await admin(method, url, 'wrong-token-of-some-length')).status,
        401,
        `${method} ${url} with a wrong token`,
      );
    }
  });

  await t.test('the job, its schedule and next run; no runs yet', async (t) => {
    const body = await jobs();
    t.same(
      body.jobs.map((j: { name: string }) => j.name),
      ['reconcile', 'propagate', 'rtsToMsupply', 'stockToDhis2', 'outboxPrune'],
      'every scheduled job, reconcile first',
    );
    const [job] = body.jobs;
    t.match(job, { name: 'reconcile', setting: 'schedules.reconcile', schedule: '30 2 * * 1', lastRuns: [] });
    const next = new Date(job.nextRun!);
    t.equal(next.getDay(), 1, 'next run on a Monday');
    t.equal(`${next.getHours()}:${next.getMinutes()}`, '2:30', 'at 02:30 server time');
    t.ok(next.getTime() > Date.now(), 'in the future');
  });

  await t.test('a run by hand reconciles the sandbox facilities and shows in /admin/jobs', async (t) => {
    const res = await admin('POST', '/admin/jobs/reconcile/run');
    t.equal(res.status, 200);
    const body = (await res.json()) as { run: JobsBody['jobs'][0]['lastRuns'][0] };
    t.match(body.run, { trigger: 'manual', outcome: 'ok', counts: { registry: 3, 'openlmis.written': Number } });
    const listed = body.run.counts!['openlmis.facilities'];
    t.ok(listed >= 30, `the sandbox's facilities were listed (${listed})`);
    t.ok(
      body.run.counts!['openlmis.auto'] >= 2,
      `registry records matched (${body.run.counts!['openlmis.auto']} auto)`,
    );
    const [job] = (await jobs()).jobs;
    t.equal(job.lastRuns.length, 1);
    t.same(job.lastRuns[0], body.run, 'the same run in the list');
    t.ok(Date.parse(job.lastRuns[0].end!) >= Date.parse(job.lastRuns[0].start), 'start and end');
    const linked = (await mediator.store.listCrosswalkByRegistryId('MFR-101')).find((r) => r.system === 'openlmis');
    t.ok(linked, 'the crosswalk links the registry record to the OpenLMIS facility');
    const unknown = await admin('POST', '/admin/jobs/stockToExcel/run');
    t.equal(unknown.status, 404);
    const diagnostics = /no job named stockToExcel; jobs: reconcile/;
    t.match(await unknown.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'not-found', diagnostics }] });
  });

  await t.test('a schedule changed in the OpenHIM console runs without a restart', async (t) => {
    const heartbeat = () => openhim.state.calls.some((c) => c.url.endsWith('/heartbeat') && c.status === 200);
    await waitFor('registration and a heartbeat', async () => (heartbeat() ? true : undefined));
    const console = openhimAdmin(openhim.url, DEFAULT_OPENHIM_USER);
    const pushed = await console.setConfig(registration.urn, {
      ...registration.config,
      scheduleReconcile: '*/2 * * * * *',
    });
    t.equal(pushed.status, 200);
    const applied = (value: string) => async () =>
      mediator.settings()['schedules.reconcile'] === value ? true : undefined;
    await waitFor('the new schedule applied', applied('*/2 * * * * *'));
    const [job] = (await jobs()).jobs;
    t.equal(job.schedule, '*/2 * * * * *', '/admin/jobs shows the new schedule');
    t.ok(Date.parse(job.nextRun!) - Date.now() <= 2000, 'next run within two seconds');
    const scheduledRun = async () => (await jobs()).jobs[0].lastRuns.find((r) => r.trigger === 'schedule' && r.end);
    const scheduled = await waitFor('a scheduled run', scheduledRun, 6000);
    t.equal(scheduled.outcome, 'ok');
    t.equal(Date.parse(scheduled.tick!) % 2000, 0, 'on an even second');
    // on time: before the next tick (every 2 s) is due, by the run's own recorded times
    t.ok(Date.parse(scheduled.start) < Date.parse(scheduled.tick!) + 2000, 'started before the next tick');
    t.match(
      scheduled.counts,
      { 'openlmis.rescored': 0, 'openlmis.written': 0 },
      'incremental: nothing changed since the run by hand',
    );
    // back to a rare schedule so the CLI below has the database to itself
    await console.setConfig(registration.urn, { ...registration.config, scheduleReconcile: '0 0 1 1 *' });
    await waitFor('the rare schedule applied', applied('0 0 1 1 *'));
  });

  await t.test('cli jobs list and jobs run reconcile, on the same database', async (t) => {
    const cliEnv = { ...process.env, ...env, DATABASE_URL: '', PORT: '3000' };
    const listed = await execFileP(tsx, [cliPath, 'jobs', 'list', '--json'], { env: cliEnv });
    const list = JSON.parse(listed.stdout) as JobsBody['jobs'];
    t.equal(list[0].name, 'reconcile');
    const triggers = new Set(list[0].lastRuns.map((r) => r.trigger));
    t.ok(triggers.has('manual') && triggers.has('schedule'), 'the runs the server recorded');
    const before = list[0].lastRuns.length;
    const ran = await execFileP(tsx, [cliPath, 'jobs', 'run', 'reconcile'], { env: cliEnv });
    t.match(JSON.parse(ran.stdout), {
      job: 'reconcile',
      run: { trigger: 'manual', outcome: 'ok', counts: { registry: 3 } },
    });
    const [job] = (await jobs()).jobs;
    t.equal(job.lastRuns.length, before + 1, 'the CLI run shows in /admin/jobs');
    t.match(job.lastRuns[0].instance ?? '', /\(cli\)$/, 'recorded as run from the CLI');
    const text = await execFileP(tsx, [cliPath, 'jobs', 'list'], { env: cliEnv });
    const header = /^reconcile {2}schedule 30 2 \* \* 1 \(schedules\.reconcile\) {2}next /m;
    t.match(text.stdout, header, 'the CLI reads its own settings (no console layer)');
    t.match(text.stdout, /manual {2}ok {2}registry=3 openlmis\.facilities=\d+/);
    const bad = await execFileP(tsx, [cliPath, 'jobs', 'run', 'nope'], { env: cliEnv }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    t.match(bad, { code: 2, stderr: /no job named nope; jobs: reconcile/ });
  });
});
