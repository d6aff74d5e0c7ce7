/**
 * Two mediator instances (two Scheduler objects, each with its own PostgreSQL store and pool) on
 * one fresh database: every tick of a per-second job runs exactly once between them, and a tick
 * both reach together runs on one of them only. Needs TEST_DATABASE_URL.
 */
import t from 'tap';
import pg from 'pg';
import { Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The backends holding the scheduler's (one-key) advisory lock, terminated as a restart or a cut would. */
async function cutLockSession(databaseUrl: string): Promise<number[]> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT pid, pg_terminate_backend(pid) AS cut FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND pid <> pg_backend_pid()
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return rows.map((r) => r.pid as number);
  } finally {
    await admin.end();
  }
}

/** One backend ended, as pg_terminate_backend ends it. */
async function terminate(databaseUrl: string, pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

/** The sessions holding and the sessions waiting for a (one-key) advisory lock, as PostgreSQL sees them. */
async function advisoryLocks(databaseUrl: string): Promise<{ holders: number[]; waiting: number[] }> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND pid <> pg_backend_pid()
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return {
      holders: rows.filter((r) => r.granted).map((r) => r.pid),
      waiting: rows.filter((r) => !r.granted).map((r) => r.pid),
    };
  } finally {
    await admin.end();
  }
}

/** A job that notes how many of its runs are going at once, stopping early when its signal aborts. */
function overlapJob(name: string, runMs: number) {
  // aborted: runs whose signal aborted while they ran (their scheduler told them to stop)
  const seen = { active: 0, most: 0, calls: 0, aborted: 0 };
  const job: ScheduledJob = {
    name,
    setting: `schedules.${name}`,
    description: name,
    run: async (signal) => {
      seen.calls += 1;
      seen.active += 1;
      seen.most = Math.max(seen.most, seen.active);
      const onAbort = () => (seen.aborted += 1);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for (let waited = 0; waited < runMs && !signal?.aborted; waited += 50) await sleep(50);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        seen.active -= 1;
      }
      return { counts: { one: 1 } };
    },
  };
  return { job, seen };
}

t.test('two instances on PostgreSQL', { skip: pgCase.skip }, async (t) => {
  t.test('a tick both reach at once runs on one of them, and never again', async (t) => {
    const { a, b } = await twoStoresOn(pgCase, t);
    let runs = 0;
    const job: ScheduledJob = {
      name: 'race',
      setting: 'schedules.race',
      description: 'race',
      run: async () => {
        runs += 1;
        await sleep(200);
      },
    };
    const one = new Scheduler({ store: a, jobs: [job], expression: () => '* * * * * *', instance: 'A' });
    const two = new Scheduler({ store: b, jobs: [job], expression: () => '* * * * * *', instance: 'B' });
    const tick = 1_800_000_000_000;
    const outcomes = await Promise.all([one.tick(job, tick), two.tick(job, tick)]);
    const statuses = outcomes.map((o) => o.status).sort();
    t.equal(statuses.filter((s) => s === 'ran').length, 1, `one ran (${statuses.join(', ')})`);
    t.ok(
      statuses.every((s) => s === 'ran' || s === 'locked' || s === 'already-run'),
      'the other was locked out or found it done',
    );
    // one after the other, so neither is merely locked out by the other's attempt
    t.equal((await one.tick(job, tick)).status, 'already-run', 'the recorded tick is not run again by A');
    t.equal((await two.tick(job, tick)).status, 'already-run', 'nor by B');
    t.equal(runs, 1);
    const recorded = await a.listJobRuns('race');
    t.equal(recorded.length, 1, 'one run recorded');
    t.equal(recorded[0].outcome, 'ok', 'the locked-out instance did not take the live run for abandoned');
  });

  t.test('both armed on a per-second schedule: each tick runs exactly once', async (t) => {
    const { a, b } = await twoStoresOn(pgCase, t);
    const ranBy: { tick: number; instance: string }[] = [];
    const jobFor = (instance: string): ScheduledJob => ({
      name: 'sync',
      setting: 'schedules.sync',
      description: 'sync',
      // long enough that the other instance arrives while the lock is held
      run: async () => {
        ranBy.push({ tick: Math.floor(Date.now() / 1000) * 1000, instance });
        await sleep(150);
        return { counts: { one: 1 } };
      },
    });
    const one = new Scheduler({ store: a, jobs: [jobFor('A')], expression: () => '* * * * * *', instance: 'A' });
    const two = new Scheduler({ store: b, jobs: [jobFor('B')], expression: () => '* * * * * *', instance: 'B' });
    one.start();
    two.start();
    t.teardown(async () => {
      await one.stop();
      await two.stop();
    });
    await sleep(4200);
    await Promise.all([one.stop(), two.stop()]);
    const runs = (await a.listJobRuns('sync', 100)).reverse();
    t.ok(runs.length >= 3, `at least three ticks ran (${runs.length})`);
    t.equal(ranBy.length, runs.length, 'one call per recorded run: no tick ran twice');
    t.equal(new Set(runs.map((r) => r.tickAt)).size, runs.length, 'each tick recorded once');
    for (let i = 1; i < runs.length; i++)
      t.equal(runs[i].tickAt! - runs[i - 1].tickAt!, 1000, 'consecutive ticks: none missed');
    t.ok(
      runs.every((r) => r.outcome === 'ok' && (r.instance === 'A' || r.instance === 'B')),
      'every run ok, by one of the two',
    );
    t.comment(
      `runs by instance: A ${runs.filter((r) => r.instance === 'A').length}, B ${runs.filter((r) => r.instance === 'B').length}`,
    );
  });

  t.test('the lock session killed mid-run: the holder takes it again, no second run beside it', async (t) => {
    const { a, b, databaseUrl } = await twoStoresOn(pgCase, t);
    const { job, seen } = overlapJob('cut', 2000);
    const one = new Scheduler({ store: a, jobs: [job], expression: () => undefined, instance: 'A' });
    const two = new Scheduler({ store: b, jobs: [job], expression: () => undefined, instance: 'B' });
    const first = one.tick(job, 1_800_000_000_000);
    await waitFor("A's run to begin (its lock held)", () => seen.active === 1);
    const cut = await cutLockSession(databaseUrl);
    t.equal(cut.length, 1, "A's lock session terminated");
    // A takes the lock again on a new session; B's tick comes after that (one that came in between
    // would take the free lock itself and A would stop: the next case)
    await waitFor('A to hold the lock again on a new session', async () => {
      const { holders } = await advisoryLocks(databaseUrl);
      return holders.length === 1 && holders[0] !== cut[0];
    });
    const second = await two.tick(job, 1_800_000_060_000);
    t.equal(second.status, 'locked', 'the next tick on B finds the job still held');
    const done = await first;
    t.equal(done.status, 'ran', `A's run ended ok (${done.run?.detail ?? ''})`);
    t.equal(seen.most, 1, 'never two runs at once');
    const runs = await a.listJobRuns('cut');
    t.same(
      runs.map((r) => [r.instance, r.outcome]),
      [['A', 'ok']],
      'one run, not marked abandoned',
    );
  });

  t.test('another instance gets the lock first: the holder stops its run', async (t) => {
    const db = await pgCase.freshDatabase();
    t.teardown(db.drop);
    const a = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => a.close());
    // a run far longer than the test: it ends early only if A stops it
    const { job, seen } = overlapJob('taken', 60_000);
    const one = new Scheduler({ store: a, jobs: [job], expression: () => undefined, instance: 'A' });
    const first = one.tick(job, 1_800_000_000_000);
    await waitFor("A's run to begin (its lock held)", () => seen.active === 1);
    // A keeps a session of its own queued behind its lock (its standby): granted the lock when
    // A's session dies, before anyone else; here it is cut too, after another instance queued
    // behind it, so that one gets the lock the moment A's session dies
    await waitFor("A's standby waiting for the lock", async () => {
      return (await advisoryLocks(db.databaseUrl)).waiting.length === 1;
    });
    const [standby] = (await advisoryLocks(db.databaseUrl)).waiting;
    const other = new pg.Client({ connectionString: db.databaseUrl });
    await other.connect();
    t.teardown(() => other.end());
    const otherPid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const waiting = other.query("SELECT pg_advisory_lock(hashtext('schedule:taken'))");
    await waitFor('the other session to wait for the lock', async () => {
      return (await advisoryLocks(db.databaseUrl)).waiting.includes(otherPid);
    });
    await terminate(db.databaseUrl, standby);
    t.equal((await cutLockSession(db.databaseUrl)).length, 1, "A's lock session terminated");
    await waiting;
    const done = await first;
    t.equal(seen.aborted, 1, 'A stopped its run (aborted it), not waiting for the run to finish');
    t.equal(done.status, 'failed', 'the run is recorded failed');
    t.match(
      done.run?.detail,
      /lock schedule:taken was lost mid-run .*another instance holds it/,
      done.run?.detail ?? '',
    );
    t.equal(seen.most, 1);
    const runs = await a.listJobRuns('taken');
    t.same(
      runs.map((r) => [r.instance, r.outcome]),
      [['A', 'failed']],
    );
  });
});
