/**
 * The watch for runs cut elsewhere (Scheduler.watchCut, src/jobs/cut-elsewhere.ts), real stores,
 * both engines: a look at a cut run that a store failure other than the database away ends (a
 * disk error, a statement refused) marked the run seen all the same, so no later look took it
 * up again and its tick waited for the next start, which a rolling deploy does not bring. The
 * next look now takes it up and runs its tick again, once.
 */
import t from 'tap';
import { nextFire } from '../../../src/jobs/cron.js';
import { ABANDONED, Scheduler, type ScheduledJob, type SchedulerLogger } from '../../../src/jobs/scheduler.js';
import type { Store } from '../../../src/store/types.js';
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

/**
 * `store` whose next read of a job's recent runs (the look at whether a cut run's tick is owed,
 * cut-run.ts: more than the one run the watch's first read takes) fails once `failures` > 0, with
 * an error that is not the database away; while `hidden`, the watch's first read finds no run
 * (the cut run is made in two writes: no look may see it half made).
 */
function failingOwedLook(store: Store): { store: Store; failures: number; hidden: boolean } {
  const handle = { store, failures: 0, hidden: false };
  handle.store = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop !== 'listJobRuns' || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (name: string, limit?: number) => {
        if (limit !== undefined && limit > 1 && handle.failures > 0) {
          handle.failures -= 1;
          return Promise.reject(new Error('disk I/O error reading job_runs'));
        }
        if (limit === 1 && handle.hidden) return Promise.resolve([]);
        return store.listJobRuns(name, limit);
      };
    },
  });
  return handle;
}

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('a cut run whose look failed is looked at again by the next look and run once', async (t) => {
      const tick = lastTick();
      const { a, b } = await twoStoresOn(engine, t);
      const watched = failingOwedLook(b);
      let calls = 0;
      const job: ScheduledJob = {
        name: 'stockToDhis2',
        setting: 'schedules.stockToDhis2',
        description: 'bridge',
        run: async () => {
          calls += 1;
          return { counts: { facilities: 3 } };
        },
      };
      const errors: string[] = [];
      const logger: SchedulerLogger = {
        info: () => undefined,
        warn: () => undefined,
        error: (_o, msg) => void errors.push(msg ?? ''),
      };
      const scheduler = new Scheduler({
        store: watched.store,
        jobs: [job],
        expression: () => YEARLY,
        instance: 'new:1',
        cutWatchMs: 20,
        awayRetryMs: 20,
        logger,
      });
      t.teardown(() => scheduler.stop());
      scheduler.start();
      await scheduler.resumed();
      t.equal(calls, 0, 'nothing cut when it starts');

      // another instance killed mid-run of the tick, its run then closed (as any start closes it):
      // cut, not running, so the first look marks it seen; that look's read of the runs fails
      watched.hidden = true;
      await a.startJobRun({
        name: 'stockToDhis2',
        tickAt: tick,
        trigger: 'schedule',
        instance: 'old:1',
        startedAt: tick + 1000,
      });
      await a.abandonJobRuns('stockToDhis2', tick + 2000, ABANDONED);
      watched.failures = 1;
      watched.hidden = false;

      await waitFor('the failed look logged', () => errors.includes('a cut run was not resumed'));
      await waitFor('the tick run again by a later look', () => calls === 1);
      await waitFor('its end recorded', async () => (await b.listJobRuns('stockToDhis2'))[0]?.outcome === 'ok');
      const runs = await b.listJobRuns('stockToDhis2');
      t.match(runs, [
        { tickAt: tick, outcome: 'ok', instance: 'new:1' },
        { outcome: 'failed', detail: ABANDONED, instance: 'old:1' },
      ]);
      t.equal(watched.failures, 0, 'the failure was met');
      await scheduler.stop();
      t.equal(calls, 1, 'run again once');
    });
  });
