/**
 * The cut-run watch looks at a live run's lock without taking it, and closes another instance's
 * run still marked running only when its lock was free on two looks a watch interval apart. It
 * took the lock to see: in a PostgreSQL restart's gap (the holder's session gone, before its
 * instance reconnects and takes the lock again) it won it, closed the live run as abandoned and
 * ran its tick again beside it. Here the gap is a run recorded running with nobody holding its
 * lock; the live instance takes the lock again (on a store of its own) right after the watch's
 * first look. Once that instance is gone for good (the lock free on two looks), the run is closed
 * and its tick run again, as before. Both engines; PostgreSQL is where the gap happens.
 */
import t from 'tap';
import { ABANDONED, Scheduler } from '../../../src/jobs/scheduler.js';
import { nextFire } from '../../../src/jobs/cron.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';
import { countingJob, JOB } from './lock-gap-rig.js';

const MONTHLY = '0 3 1 * *';

/** The monthly tick last due (at or before now): the next one is still to come. */
function lastTick(now: number): number {
  let tick = nextFire(MONTHLY, now - 40 * 86_400_000)!;
  for (let next = nextFire(MONTHLY, tick)!; next <= now; next = nextFire(MONTHLY, tick)!) tick = next;
  return tick;
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a live run whose lock is free at one look is not cut; free at two, it is`,
    { skip: engine.skip },
    async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const tickAt = lastTick(Date.now());
      const live = await a.startJobRun({
        name: JOB,
        tickAt,
        trigger: 'schedule',
        instance: 'live',
        startedAt: Date.now(),
      });
      t.ok(live, 'the live instance recorded its run');

      // the live instance takes its lock again (b: its own connection) right after the watch's first look
      let letGo!: () => void;
      const gone = new Promise<void>((resolve) => (letGo = resolve));
      let retaken: Promise<unknown> | undefined;
      const looks: boolean[] = [];
      const real = a.advisoryLockHeld.bind(a);
      a.advisoryLockHeld = async (name: string) => {
        const held = await real(name);
        looks.push(held);
        if (looks.length === 1) {
          let holding!: () => void;
          const took = new Promise<void>((resolve) => (holding = resolve));
          retaken = b.withAdvisoryLock(name, async () => {
            holding();
            await gone;
          });
          await Promise.race([took, retaken.then(() => Promise.reject(new Error('the lock was not taken again')))]);
        }
        return held;
      };

      const { job, calls } = countingJob();
      const scheduler = new Scheduler({
        store: a,
        instance: 'watcher',
        cutWatchMs: 50,
        awayRetryMs: 50,
        jobs: [job],
        expression: () => MONTHLY,
      });
      scheduler.start();
      t.teardown(() => scheduler.stop());

      await waitFor('three looks after the lock was taken again', () => looks.length >= 4, 15_000);
      t.same(looks.slice(0, 4), [false, true, true, true], 'free at the first look only');
      t.equal(calls(), 0, 'the tick was not run again beside the live run');
      const [still] = await a.listJobRuns(JOB);
      t.match(still, { id: live!.id, outcome: 'running', instance: 'live' }, 'the live run is not closed');

      // the live instance is gone for good: its lock stays free
      letGo();
      await retaken;
      await waitFor('the tick run again', async () => (await a.listJobRuns(JOB))[0]?.outcome === 'ok', 15_000);
      await scheduler.stop();
      const [again, closed] = await a.listJobRuns(JOB);
      t.match(closed, { id: live!.id, outcome: 'failed', detail: ABANDONED });
      t.match(again, { outcome: 'ok', trigger: 'schedule', instance: 'watcher', tickAt });
      t.equal(calls(), 1);
      t.same(looks.slice(-2), [false, false], 'closed after two looks found it free');
    },
  );
