/**
 * An owed tick (src/jobs/cut-run.ts) tried again while the job is locked elsewhere follows a live
 * change of the job's schedule, as every armed tick does (Scheduler.refresh): a schedule emptied
 * meanwhile (the operator stopping a bridge that keeps failing) is not run by the tries left of
 * the old one, which could go on until that schedule's next tick, a month off. Real store, both
 * engines.
 */
import t from 'tap';
import { nextFire } from '../../../src/jobs/cron.js';
import { ABANDONED, Scheduler, type ScheduledJob, type SchedulerLogger } from '../../../src/jobs/scheduler.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
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

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('an owed tick waiting for the lock is not run once its schedule is emptied', async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const tick = lastTick();
      await a.startJobRun({ name: 'stockToDhis2', tickAt: tick, trigger: 'schedule', startedAt: tick + 1000 });
      await a.abandonJobRuns('stockToDhis2', tick + 5000, ABANDONED);

      let calls = 0;
      const job: ScheduledJob = {
        name: 'stockToDhis2',
        setting: 'schedules.stockToDhis2',
        description: 'bridge',
        run: async () => {
          calls += 1;
          return {};
        },
      };
      const tried: string[] = [];
      const logger: SchedulerLogger = { warn: (_o, msg) => tried.push(msg ?? ''), error: () => undefined };
      let schedule: string | undefined = YEARLY;
      const scheduler = new Scheduler({ store: a, jobs: [job], expression: () => schedule, logger, awayRetryMs: 20 });
      t.teardown(() => scheduler.stop());
      // the other instance holds the job until this one has found it locked; the operator empties
      // the schedule meanwhile, then the lock is free
      let holding = false;
      const held = b.withAdvisoryLock('schedule:stockToDhis2', async () => {
        holding = true;
        await waitFor('the tick found locked', () => tried.includes('the owed tick is tried again'));
        schedule = undefined;
        scheduler.refresh();
      });
      await waitFor('the lock held by the other instance', () => holding);
      scheduler.start();
      t.ok((await held).ran, 'the other instance held the lock');
      await scheduler.resumed();
      t.equal(calls, 0, 'the emptied schedule is not run');
      const [last] = await a.listJobRuns('stockToDhis2');
      t.match(last, { tickAt: tick, detail: ABANDONED }, 'the cut run keeps its tick');
    });
  });
