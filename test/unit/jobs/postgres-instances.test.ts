/**
 * Two mediator instances (two Scheduler objects, each with its own PostgreSQL store and pool) on
 * one fresh database: every tick of a per-second job runs exactly once between them, and a tick
 * both reach together runs on one of them only. Needs TEST_DATABASE_URL.
 */
import t from 'tap';
import { Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function twoInstances(t: { teardown(fn: () => unknown): void }) {
  const db = await pgCase.freshDatabase();
  t.teardown(db.drop);
  const a = await openStore({ databaseUrl: db.databaseUrl });
  const b = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  return { a, b };
}

t.test('two instances on PostgreSQL', { skip: pgCase.skip }, async (t) => {
  t.test('a tick both reach at once runs on one of them, and never again', async (t) => {
    const { a, b } = await twoInstances(t);
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
    const { a, b } = await twoInstances(t);
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
});
