/**
 * A scheduled run a stop (a deploy's SIGTERM) or a SIGKILL cut part way is run again, for its own
 * tick, when the mediator starts again, if its job's next tick has not come: before, a monthly
 * bridge cut at 03:00 on the 2nd waited a month for the facilities it had not reached. Once, even
 * with two instances starting together; never a tick whose following one has come, nor a run by
 * hand. Real store, both engines.
 */
import t, { type Test } from 'tap';
import { nextFire } from '../../../src/jobs/cron.js';
import { ABANDONED, Scheduler, StoppedPartWay, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

/** Once a year (midnight, 1 January): the tick before now is this year's, the next one months off. */
const YEARLY = '0 0 1 1 *';
const DAY = 86_400_000;

/** The latest tick of `expression` at or before `now`, and the one before it. */
function lastTicks(expression: string, now = Date.now()): { last: number; before: number } {
  let before = 0;
  let last = nextFire(expression, now - 800 * DAY)!;
  for (let next = nextFire(expression, last)!; next <= now; next = nextFire(expression, last)!) {
    before = last;
    last = next;
  }
  return { last, before };
}

/** A bridge-like job: counts its runs; `hold` keeps a run going until its signal asks it to stop. */
function bridge(name: string, hold = false): ScheduledJob & { calls: number[] } {
  const calls: number[] = [];
  return {
    name,
    setting: `schedules.${name}`,
    description: name,
    calls,
    run: async (signal) => {
      calls.push(Date.now());
      if (!hold) return { counts: { facilities: 3 } };
      for (;;) {
        if (signal!.aborted) throw new StoppedPartWay(signal!.reason, { facilities: 1 });
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

/** What a SIGKILLed instance leaves: a scheduled run started and never ended. */
const killedRun = (store: Store, name: string, tickAt: number) =>
  store.startJobRun({ name, tickAt, trigger: 'schedule', instance: 'gone:1', startedAt: tickAt + 1000 });

async function startAndSettle(t: Test, store: Store, job: ScheduledJob): Promise<Scheduler> {
  const scheduler = new Scheduler({ store, jobs: [job], expression: () => YEARLY });
  t.teardown(() => scheduler.stop());
  await scheduler.closeAbandonedRuns();
  scheduler.start();
  await scheduler.resumed();
  return scheduler;
}

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { last, before } = lastTicks(YEARLY);

    t.test('a run a SIGKILL cut runs its tick again at start, once', async (t) => {
      const { store } = await freshStore(engine, t);
      const dead = await killedRun(store, 'stockToDhis2', last);
      const job = bridge('stockToDhis2');
      await startAndSettle(t, store, job);
      t.equal(job.calls.length, 1, 'the tick is run again');
      const [again, cut] = await store.listJobRuns('stockToDhis2');
      t.match(again, { trigger: 'schedule', tickAt: last, outcome: 'ok', counts: { facilities: 3 } });
      t.match(cut, { id: dead!.id, outcome: 'failed', detail: ABANDONED }, 'the cut run stays listed');
      t.equal(cut.tickAt, undefined, 'without the tick it gave back');
      // started again later: nothing is owed any more
      await startAndSettle(t, store, job);
      t.equal(job.calls.length, 1, 'not run a second time');
    });

    t.test('a run a stop interrupted (SIGTERM) runs its tick again at the next start', async (t) => {
      const { store } = await freshStore(engine, t);
      const job = bridge('rtsToMsupply', true);
      const first = new Scheduler({ store, jobs: [job], expression: () => YEARLY });
      const running = first.tick(job, last);
      await waitFor('the run under way', () => job.calls.length === 1);
      await first.stop('SIGTERM');
      t.equal((await running).status, 'failed');
      t.match((await store.listJobRuns('rtsToMsupply'))[0], { tickAt: last, detail: /^interrupted: / });

      const rerun = bridge('rtsToMsupply');
      await startAndSettle(t, store, rerun);
      t.equal(rerun.calls.length, 1, 'the interrupted tick is run again');
      t.match((await store.listJobRuns('rtsToMsupply'))[0], { tickAt: last, outcome: 'ok' });
    });

    t.test('two instances starting together run the owed tick once between them', async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      await killedRun(a, 'stockToDhis2', last);
      const [jobA, jobB] = [bridge('stockToDhis2'), bridge('stockToDhis2')];
      const sa = new Scheduler({ store: a, jobs: [jobA], expression: () => YEARLY, instance: 'a' });
      const sb = new Scheduler({ store: b, jobs: [jobB], expression: () => YEARLY, instance: 'b' });
      t.teardown(() => Promise.all([sa.stop(), sb.stop()]));
      await Promise.all([sa.closeAbandonedRuns(), sb.closeAbandonedRuns()]);
      sa.start();
      sb.start();
      await Promise.all([sa.resumed(), sb.resumed()]);
      t.equal(jobA.calls.length + jobB.calls.length, 1, 'one run of the tick');
      const runs = await a.listJobRuns('stockToDhis2');
      t.equal(runs.filter((r) => r.tickAt === last).length, 1, 'the tick recorded once');
    });

    t.test('not run again: a tick whose following one has come, a run by hand, a run that failed', async (t) => {
      const { store } = await freshStore(engine, t);
      await killedRun(store, 'old', before);
      await store.startJobRun({ name: 'byHand', trigger: 'manual', instance: 'gone:1', startedAt: last + 1000 });
      const failed = await store.startJobRun({
        name: 'failed',
        tickAt: last,
        trigger: 'schedule',
        instance: 'gone:1',
        startedAt: last + 1000,
      });
      await store.finishJobRun(failed!.id, { endedAt: last + 2000, outcome: 'failed', detail: 'DHIS2 said 500' });
      const jobs = [bridge('old'), bridge('byHand'), bridge('failed')];
      const scheduler = new Scheduler({ store, jobs, expression: () => YEARLY });
      t.teardown(() => scheduler.stop());
      await scheduler.closeAbandonedRuns();
      scheduler.start();
      await scheduler.resumed();
      t.same(
        jobs.map((j) => j.calls.length),
        [0, 0, 0],
        'none of them runs',
      );
    });
  });
