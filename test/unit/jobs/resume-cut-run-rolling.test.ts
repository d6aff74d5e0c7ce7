/**
 * A rolling deploy (src/jobs/cut-elsewhere.ts), real stores, both engines: the new instances
 * start (and find nothing cut), then the old one is stopped mid-run. No start follows, so the
 * instances already running notice the cut run and run its tick again, once across them.
 */
import t from 'tap';
import { nextFire } from '../../../src/jobs/cron.js';
import { ABANDONED, Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

/** Once a year (midnight, 1 January): the tick before now is this year's, the next one months off. */
const YEARLY = '0 0 1 1 *';
const DAY = 86_400_000;

/** What a SIGKILL leaves of `name`'s run of `tick` on instance `instance`: still marked running, its lock gone. */
async function killedMidRun(store: Store, name: string, tick: number, instance: string): Promise<void> {
  await store.startJobRun({ name, tickAt: tick, trigger: 'schedule', instance, startedAt: tick + 1000 });
}

/** This year's tick of YEARLY: the latest at or before now. */
function lastTick(now = Date.now()): number {
  let last = nextFire(YEARLY, now - 800 * DAY)!;
  for (let next = nextFire(YEARLY, last)!; next <= now; next = nextFire(YEARLY, last)!) last = next;
  return last;
}

/** The bridge; `hold`, while set, keeps a run going until its signal stops it (the stop's). */
function bridge(name = 'stockToDhis2'): ScheduledJob & { calls: number; hold: boolean } {
  const job = {
    name,
    setting: `schedules.${name}`,
    description: 'bridge',
    calls: 0,
    hold: false,
    run: async (signal?: AbortSignal) => {
      job.calls += 1;
      if (job.hold)
        await new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
      return { counts: { facilities: 3 } };
    },
  };
  return job;
}

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const tick = lastTick();

    t.test('a run the old instance is stopped in is run again by the new ones, once', async (t) => {
      const { a, b, databaseUrl } = await twoStoresOn(engine, t);
      const c = await openStore({ databaseUrl });
      t.teardown(() => c.close());
      const old = bridge();
      old.hold = true;
      const oldOne = new Scheduler({ store: a, jobs: [old], expression: () => YEARLY, instance: 'old:1' });
      const running = oldOne.tick(old, tick);
      await waitFor('the old instance running the tick', () => old.calls === 1);

      // the new instances start (their look finds the run going) and watch
      const news = [b, c].map((store, i) => {
        const job = bridge();
        const scheduler = new Scheduler({
          store,
          jobs: [job],
          expression: () => YEARLY,
          instance: `new:${i}`,
          cutWatchMs: 20,
          awayRetryMs: 20,
        });
        t.teardown(() => scheduler.stop());
        scheduler.start();
        return { job, scheduler };
      });
      await Promise.all(news.map((n) => n.scheduler.resumed()));
      t.same(
        news.map((n) => n.job.calls),
        [0, 0],
        'nothing cut when they start',
      );

      // then the old one is stopped (SIGTERM) mid-run
      await oldOne.stop('SIGTERM');
      t.match(await running, { status: 'failed', run: { detail: /^interrupted/ } }, 'its run was cut');
      await waitFor('the tick run again', async () => (await b.listJobRuns('stockToDhis2'))[0]?.outcome === 'ok');
      // a few more looks by both: none runs it a second time
      const looked = news.map((n) => n.job.calls);
      await new Promise((r) => setTimeout(r, 200));
      t.equal(news[0]!.job.calls + news[1]!.job.calls, 1, 'run again once across the instances');
      t.same(
        news.map((n) => n.job.calls),
        looked,
        'and not again later',
      );
      const runs = await b.listJobRuns('stockToDhis2');
      t.equal(runs.filter((r) => r.tickAt === tick).length, 1, 'the tick recorded once');
      t.match(runs[0], { tickAt: tick, outcome: 'ok' });
    });

    t.test('a run left running by a killed instance is closed and run again', async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const job = bridge();
      const scheduler = new Scheduler({
        store: b,
        jobs: [job],
        expression: () => YEARLY,
        instance: 'new:1',
        cutWatchMs: 20,
        awayRetryMs: 20,
      });
      t.teardown(() => scheduler.stop());
      scheduler.start();
      await scheduler.resumed();
      // what a SIGKILL leaves: a run still marked running, its lock gone with the process
      await a.startJobRun({
        name: 'stockToDhis2',
        tickAt: tick,
        trigger: 'schedule',
        instance: 'old:1',
        startedAt: tick + 1000,
      });
      await waitFor('the tick run again', () => job.calls === 1);
      await waitFor('its end recorded', async () => (await b.listJobRuns('stockToDhis2'))[0]?.outcome === 'ok');
      const runs = await b.listJobRuns('stockToDhis2');
      t.match(runs, [
        { tickAt: tick, outcome: 'ok' },
        { outcome: 'failed', detail: ABANDONED },
      ]);
    });

    t.test("a job's tick run again by the watch does not keep it from the other jobs", async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const long = bridge('stockToDhis2');
      long.hold = true; // a monthly bridge's hours, run again
      const other = bridge('reconcile');
      const scheduler = new Scheduler({
        store: b,
        jobs: [long, other],
        expression: () => YEARLY,
        instance: 'new:1',
        cutWatchMs: 20,
        awayRetryMs: 20,
      });
      t.teardown(() => scheduler.stop());
      scheduler.start();
      await scheduler.resumed();
      await killedMidRun(a, 'stockToDhis2', tick, 'old:1');
      await waitFor('the bridge run again (still going)', () => long.calls === 1);
      // later, another instance is killed mid-run of another job, the bridge's run again still going
      await killedMidRun(a, 'reconcile', tick, 'old:2');
      await waitFor('the other job run again meanwhile', async () => {
        const [last] = await b.listJobRuns('reconcile', 1);
        return last?.tickAt === tick && last.outcome === 'ok';
      });
      t.equal(other.calls, 1, 'the other job run again once');
      t.equal(long.calls, 1, 'the bridge run again once, still going');
      t.match(await b.listJobRuns('stockToDhis2', 1), [{ tickAt: tick, outcome: 'running', instance: 'new:1' }]);
      await scheduler.stop('SIGTERM');
    });

    t.test('a run another instance is still running (its lock held) is left alone by the watch', async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const old = bridge();
      old.hold = true;
      const oldOne = new Scheduler({ store: a, jobs: [old], expression: () => YEARLY, instance: 'old:1' });
      const running = oldOne.tick(old, tick);
      await waitFor('the old instance running the tick', () => old.calls === 1);
      let looks = 0;
      const watched = new Proxy(b, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (prop === 'listJobRuns') looks += 1;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const job = bridge();
      const scheduler = new Scheduler({
        store: watched,
        jobs: [job],
        expression: () => YEARLY,
        instance: 'new:1',
        cutWatchMs: 20,
        awayRetryMs: 20,
      });
      t.teardown(() => scheduler.stop());
      scheduler.start();
      await scheduler.resumed();
      // each look reads the run going and asks for the job's lock, which the live run holds
      const stillRunning = async () => (await a.listJobRuns('stockToDhis2', 1))[0]?.outcome === 'running';
      await waitFor('ten looks (or the live run closed)', async () => looks >= 20 || !(await stillRunning()));
      t.equal(job.calls, 0, 'not run again');
      t.match(await a.listJobRuns('stockToDhis2'), [{ tickAt: tick, outcome: 'running', instance: 'old:1' }]);
      await scheduler.stop();
      await oldOne.stop('SIGTERM');
      t.match(await running, { status: 'failed', run: { detail: /^interrupted/ } }, 'its run ended by its own stop');
    });
  });
