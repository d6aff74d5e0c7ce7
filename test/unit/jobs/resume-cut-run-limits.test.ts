/**
 * The limits of running a cut tick again at start (src/jobs/cut-run.ts), real store, both engines.
 * A tick run again once and cut again (a run that kills the process each time: out of memory on
 * a national dataset) is left to the next tick, not run at every start until then, which would
 * keep the whole mediator in a crash loop for a month. An owed tick met by the job locked
 * elsewhere (an instance starting alongside, closing its abandoned runs) is tried again once the
 * lock is free, not dropped: given back, no one else would run it before the next tick.
 */
import t from 'tap';
import { nextFire } from '../../../src/jobs/cron.js';
import {
  ABANDONED,
  interruptedDetail,
  Scheduler,
  type ScheduledJob,
  type SchedulerLogger,
} from '../../../src/jobs/scheduler.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

/** Once a year (midnight, 1 January): the tick before now is this year's, the next one months off. */
const YEARLY = '0 0 1 1 *';
const DAY = 86_400_000;

/** This year's tick of YEARLY: the latest at or before now. */
function lastTick(now = Date.now()): number {
  let last = nextFire(YEARLY, now - 800 * DAY)!;
  for (let next = nextFire(YEARLY, last)!; next <= now; next = nextFire(YEARLY, last)!) last = next;
  return last;
}

function bridge(name: string): ScheduledJob & { calls: number } {
  const job = {
    name,
    setting: `schedules.${name}`,
    description: name,
    calls: 0,
    run: async () => {
      job.calls += 1;
      return { counts: { facilities: 3 } };
    },
  };
  return job;
}

/** Every log line, by level and message. */
function recordingLogger(): SchedulerLogger & { lines: { level: string; obj: object; msg?: string }[] } {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

/** A cut run of `tick` the start after it gave back, for its tick to be run again. */
async function givenBackCut(store: Store, startedAt: number): Promise<void> {
  const run = await store.startJobRun({ name: 'stockToDhis2', tickAt: lastTick(), trigger: 'schedule', startedAt });
  await store.finishJobRun(run!.id, {
    endedAt: startedAt + 5000,
    outcome: 'failed',
    detail: ABANDONED,
    givesBackTick: true,
  });
}

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const tick = lastTick();

    t.test('a tick run again once and cut again is left to the next tick', async (t) => {
      const { store } = await freshStore(engine, t);
      // what a start that ran the tick again and was killed during it leaves: the first cut run
      // (abandoned, its tick given back) and the run of the tick again, left running
      const first = await store.startJobRun({
        name: 'stockToDhis2',
        tickAt: tick,
        trigger: 'schedule',
        instance: 'gone:1',
        startedAt: tick + 1000,
      });
      await store.finishJobRun(first!.id, {
        endedAt: tick + 5000,
        outcome: 'failed',
        detail: ABANDONED,
        givesBackTick: true,
      });
      await store.startJobRun({
        name: 'stockToDhis2',
        tickAt: tick,
        trigger: 'schedule',
        instance: 'gone:2',
        startedAt: tick + 6000,
      });

      const job = bridge('stockToDhis2');
      const logger = recordingLogger();
      const scheduler = new Scheduler({ store, jobs: [job], expression: () => YEARLY, logger });
      t.teardown(() => scheduler.stop());
      t.equal(await scheduler.closeAbandonedRuns(), 1, 'the second cut run is closed as abandoned');
      scheduler.start();
      await scheduler.resumed();
      t.equal(job.calls, 0, 'the tick is not run a third time');
      t.match(
        logger.lines.find((l) => l.level === 'error'),
        { obj: { job: 'stockToDhis2', tickAt: tick }, msg: /cut again .*left to the next tick/ },
        'the operator is told the tick is left',
      );
      const [last] = await store.listJobRuns('stockToDhis2');
      t.match(last, { tickAt: tick, outcome: 'failed', detail: ABANDONED }, 'the second cut run keeps its tick');
    });

    t.test('a tick run again and stopped again (a second deploy) is run again, three times at most', async (t) => {
      for (const [given, runs] of [
        [1, 1],
        [3, 0],
      ]) {
        const { store } = await freshStore(engine, t);
        for (let i = 0; i < given; i++) await givenBackCut(store, tick + 1000 + i * 10_000);
        const last = await store.startJobRun({
          name: 'stockToDhis2',
          tickAt: tick,
          trigger: 'schedule',
          instance: 'gone:9',
          startedAt: tick + 100_000,
        });
        await store.finishJobRun(last!.id, {
          endedAt: tick + 200_000,
          outcome: 'failed',
          detail: interruptedDetail('SIGTERM'),
        });
        const job = bridge('stockToDhis2');
        const scheduler = new Scheduler({ store, jobs: [job], expression: () => YEARLY });
        scheduler.start();
        await scheduler.resumed();
        await scheduler.stop();
        t.equal(job.calls, runs, `run again after ${given} earlier run(s) again: ${runs}`);
      }
    });

    t.test('a cut tick of an earlier year given back does not stop this one running again', async (t) => {
      const { store } = await freshStore(engine, t);
      const before = nextFire(YEARLY, tick - 400 * DAY)!;
      const old = await store.startJobRun({
        name: 'stockToDhis2',
        tickAt: before,
        trigger: 'schedule',
        instance: 'gone:1',
        startedAt: before + 1000,
      });
      await store.finishJobRun(old!.id, {
        endedAt: before + 5000,
        outcome: 'failed',
        detail: ABANDONED,
        givesBackTick: true,
      });
      await store.startJobRun({
        name: 'stockToDhis2',
        tickAt: tick,
        trigger: 'schedule',
        instance: 'gone:2',
        startedAt: tick + 1000,
      });
      const job = bridge('stockToDhis2');
      const scheduler = new Scheduler({ store, jobs: [job], expression: () => YEARLY });
      t.teardown(() => scheduler.stop());
      await scheduler.closeAbandonedRuns();
      scheduler.start();
      await scheduler.resumed();
      t.equal(job.calls, 1, "this year's cut tick is run again");
    });

    t.test('an owed tick met by the job locked elsewhere runs once the lock is free', async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      await a.startJobRun({
        name: 'stockToDhis2',
        tickAt: tick,
        trigger: 'schedule',
        instance: 'gone:1',
        startedAt: tick + 1000,
      });
      await a.abandonJobRuns('stockToDhis2', tick + 5000, ABANDONED);

      const job = bridge('stockToDhis2');
      const logger = recordingLogger();
      const scheduler = new Scheduler({ store: a, jobs: [job], expression: () => YEARLY, logger, awayRetryMs: 20 });
      t.teardown(() => scheduler.stop());
      // the other instance holds the job (its own start closing abandoned runs) until this one has
      // found it locked
      const tried = () => logger.lines.some((l) => l.msg === 'the owed tick is tried again');
      let holding = false;
      const held = b.withAdvisoryLock('schedule:stockToDhis2', async () => {
        holding = true;
        await waitFor('the tick found locked', tried);
      });
      await waitFor('the lock held by the other instance', () => holding);
      scheduler.start();
      t.ok((await held).ran, 'the other instance held the lock');
      await scheduler.resumed();
      t.equal(job.calls, 1, 'the tick is run again once the lock is free');
      const runs = await a.listJobRuns('stockToDhis2');
      t.equal(runs.filter((r) => r.tickAt === tick).length, 1, 'the tick recorded once');
      t.match(runs[0], { tickAt: tick, outcome: 'ok' });
    });

    t.test('a stop while the owed tick waits for the lock leaves it owed to the next start', async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      await a.startJobRun({
        name: 'stockToDhis2',
        tickAt: tick,
        trigger: 'schedule',
        instance: 'gone:1',
        startedAt: tick + 1000,
      });
      await a.abandonJobRuns('stockToDhis2', tick + 5000, ABANDONED);
      const logger = recordingLogger();
      const job = bridge('stockToDhis2');
      const first = new Scheduler({ store: a, jobs: [job], expression: () => YEARLY, logger, awayRetryMs: 60_000 });
      const tried = () => logger.lines.some((l) => l.msg === 'the owed tick is tried again');
      let holding = false;
      const held = b.withAdvisoryLock('schedule:stockToDhis2', async () => {
        holding = true;
        await waitFor('the tick found locked', tried);
      });
      await waitFor('the lock held by the other instance', () => holding);
      first.start();
      await held;
      // stopped while it waits to try again (a deploy's second restart)
      await first.stop('SIGTERM');
      await first.resumed();
      t.equal(job.calls, 0, 'not run before the stop');

      const second = new Scheduler({ store: a, jobs: [job], expression: () => YEARLY });
      t.teardown(() => second.stop());
      second.start();
      await second.resumed();
      t.equal(job.calls, 1, 'the next start still runs the tick');
      t.match((await a.listJobRuns('stockToDhis2'))[0], { tickAt: tick, outcome: 'ok' });
    });
  });
