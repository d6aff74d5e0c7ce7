/**
 * `cli outbox list|show|retry|drop` as an operator runs it: a separate process over the same
 * SQLite file the mediator uses. Jobs are seeded through the store, then the CLI's effect is
 * read back from the store (and its audit trail).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import type { NewJob } from '../../../src/store/types.js';

const run = promisify(execFile);
const cliPath = path.resolve(import.meta.dirname, '../../../src/cli/index.ts');
const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');

async function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [cliPath, 'outbox', ...args], {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', USER: 'ops-jane' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const job = (id: string, over: Partial<NewJob> = {}): NewJob => ({
  id,
  flow: 'order',
  system: 'openlmis',
  idempotencyKey: `order|app|${id}`,
  payloadHash: `h-${id}`,
  payload: { order: id },
  status: 'pending',
  attempts: 0,
  nextAttemptAt: Date.now() + 3_600_000,
  createdAt: Date.now(),
  ...over,
});

t.test('list, show, retry and drop on the live database file', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-outbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  await store.recordWrite(job('job-dead'));
  await store.recordWrite(job('job-pending'));
  // job-dead: claimed and dead-lettered as the worker would
  const [claimed] = await store.claimJobs({
    system: 'openlmis',
    flows: ['order'],
    limit: 1,
    leaseOwner: 'w1',
    leaseMs: 60_000,
    now: Date.now() + 7_200_000,
  });
  await store.finishJob(
    claimed.id,
    'w1',
    {
      status: 'dead',
      error: { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'openlmis: 503' }] },
    },
    Date.now(),
  );
  const deadId = claimed.id;
  const otherId = deadId === 'job-dead' ? 'job-pending' : 'job-dead';
  await store.close();

  const list = await cli(dir, 'list', '--status', 'dead');
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, new RegExp(`${deadId}\\s+dead`));
  t.notMatch(list.stdout, otherId, 'the filter applies');

  const show = await cli(dir, 'show', deadId);
  t.equal(show.code, 0);
  t.match(JSON.parse(show.stdout), { job: { id: deadId, status: 'dead' } });

  t.equal((await cli(dir, 'show', 'no-such-job')).code, 1, 'an unknown job is an error exit');

  const retry = await cli(dir, 'retry', deadId);
  t.equal(retry.code, 0, retry.stderr);
  const drop = await cli(dir, 'drop', otherId);
  t.equal(drop.code, 0, drop.stderr);

  const after = await openStore({ dataDir: dir });
  t.teardown(() => after.close());
  t.match(
    await after.getJob(deadId),
    { status: 'pending', attempts: 0 },
    'retry makes the dead job due again with a fresh budget',
  );
  t.equal(await after.getJob(otherId), undefined, 'drop deletes the job');
  t.same((await after.findJobsByKey(`order|app|${otherId}`)).length, 0, 'and frees its identifier');
  const audit = await after.listAudit({});
  t.ok(
    audit.some((a) => a.actor === 'ops-jane' && a.action.includes('retry') && a.subject === deadId),
    'retry is audited with the operator',
  );
  t.ok(
    audit.some((a) => a.actor === 'ops-jane' && a.action.includes('drop') && a.subject === otherId),
    'drop is audited with the operator',
  );
});

t.test('drop refuses a delivered job and says why: its identifier stays taken', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-outbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  await store.recordWrite(job('job-done'));
  const [claimed] = await store.claimJobs({
    system: 'openlmis',
    flows: ['order'],
    limit: 1,
    leaseOwner: 'w1',
    leaseMs: 60_000,
    now: Date.now() + 7_200_000,
  });
  await store.finishJob(claimed.id, 'w1', { status: 'done', result: { system: 'openlmis', ids: {} } }, Date.now());
  await store.close();

  const drop = await cli(dir, 'drop', 'job-done');
  t.equal(drop.code, 1);
  t.match(drop.stderr, /job job-done is done: the upstream has the write/);
  const after = await openStore({ dataDir: dir });
  t.teardown(() => after.close());
  t.match(await after.getJob('job-done'), { status: 'done' });
  t.equal((await after.findJobsByKey('order|app|job-done')).length, 1, 'a resend is still the same write');
});

t.test('retry refuses a dead write of a record written again since, naming it the same record', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-outbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  // a facility write that went dead, then a later write of that facility accepted and delivered
  const facility = (id: string, at: number): NewJob =>
    job(id, {
      flow: 'facility',
      idempotencyKey: `facility|${id}`,
      payload: { id: 'loc-a', name: id },
      createdAt: at,
      nextAttemptAt: at,
    });
  for (const [id, at, end] of [
    ['fac-dead', 1_000, 'dead'],
    ['fac-later', 2_000, 'done'],
  ] as const) {
    await store.recordWrite(facility(id, at));
    const [claimed] = await store.claimJobs({
      system: 'openlmis',
      flows: ['facility'],
      limit: 1,
      leaseOwner: 'w1',
      leaseMs: 60_000,
      now: at,
    });
    await store.finishJob(
      claimed.id,
      'w1',
      end === 'done'
        ? { status: 'done', result: { system: 'openlmis', ids: {} } }
        : {
            status: 'dead',
            error: { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] },
          },
      at + 1,
    );
  }
  await store.close();

  const retry = await cli(dir, 'retry', 'fac-dead');
  t.equal(retry.code, 1, retry.stdout);
  t.match(
    retry.stderr,
    /^job fac-dead is dead, and a later write of the same record \(the same upstream object, by whatever id or code it was named\) was accepted after it: retried, it would put the older version back; nothing was done/,
  );
  const after = await openStore({ dataDir: dir });
  t.teardown(() => after.close());
  t.match(await after.getJob('fac-dead'), { status: 'dead' }, 'left as it was');
});

t.test('list --system: a typo is refused, a system with stored jobs but no connector is listed', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-outbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  await store.recordWrite(job('job-legacy', { system: 'legacy' }));
  await store.close();

  const typo = await cli(dir, 'list', '--system', 'dhsi2');
  t.equal(typo.code, 1, typo.stdout);
  t.match(typo.stderr, /^no system 'dhsi2': systems: .*dhis2.*; no job is stored for that name/);
  t.equal(typo.stdout, '', 'no list that reads as "nothing queued there"');
  const known = await cli(dir, 'list', '--system', 'dhis2');
  t.equal(known.code, 0, known.stderr);
  t.match(known.stdout, /^0 shown/, 'a known system with no job: an empty list');
  const legacy = await cli(dir, 'list', '--system', 'legacy', '--status', 'done');
  t.equal(legacy.code, 0, `stored jobs make the name known, whatever the filter: ${legacy.stderr}`);
  const all = await cli(dir, 'list', '--system', 'legacy');
  t.match(all.stdout, /job-legacy/);
});

t.test("list: a delivered job's error from an earlier attempt is not its last error", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-outbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  // both fail once (an upstream 503), then one is delivered and the other waits for its retry
  for (const id of ['job-delivered', 'job-waiting']) {
    await store.recordWrite(job(id, { nextAttemptAt: 1_000, createdAt: 1_000 }));
    const [first] = await store.claimJobs({
      system: 'openlmis',
      flows: ['order'],
      limit: 1,
      leaseOwner: 'w1',
      leaseMs: 60_000,
      now: 2_000,
    });
    await store.rescheduleJob(first.id, 'w1', 3_000, 'openlmis: HTTP 503 Service Unavailable', false, 2_500);
  }
  const [again] = await store.claimJobs({
    system: 'openlmis',
    flows: ['order'],
    limit: 1,
    leaseOwner: 'w2',
    leaseMs: 60_000,
    now: 4_000,
  });
  await store.finishJob(again.id, 'w2', { status: 'done', result: { system: 'openlmis', ids: {} } }, 4_500);
  const delivered = again.id;
  const waiting = delivered === 'job-delivered' ? 'job-waiting' : 'job-delivered';
  await store.close();

  const list = await cli(dir, 'list');
  t.equal(list.code, 0, list.stderr);
  const row = (id: string) => list.stdout.split('\n').find((l) => l.startsWith(id)) ?? '';
  t.notMatch(row(delivered), /last error/, 'the delivered job shows no last error');
  t.match(
    row(delivered),
    /delivered after an earlier attempt failed: openlmis: HTTP 503 Service Unavailable$/,
    'its earlier error is labelled as history',
  );
  t.match(row(waiting), /last error: openlmis: HTTP 503 Service Unavailable$/, 'a waiting job keeps its last error');

  const json = await cli(dir, 'list', '--json');
  const jobs = JSON.parse(json.stdout) as Record<string, unknown>[];
  const byId = (id: string) => jobs.find((j) => j.id === id)!;
  t.match(byId(delivered), { status: 'done', earlierError: 'openlmis: HTTP 503 Service Unavailable' });
  t.notOk('lastError' in byId(delivered), 'no lastError on the delivered job (the admin API gives the same)');
  t.match(byId(waiting), { status: 'pending', lastError: 'openlmis: HTTP 503 Service Unavailable' });
  t.notOk('earlierError' in byId(waiting));
});
