/**
 * A tick or a starting instance takes a job's lock only once it looked free twice where a live
 * run may hold it. In a PostgreSQL restart's gap the holder's session is gone and its instance has
 * not yet taken the lock again: taking it then on one look closed the live run as abandoned, ran
 * the tick beside it (a hand run records none) and made the holder's retake find the lock held
 * elsewhere, which stops the live run. A tick met by a held lock is tried again every awayRetryMs
 * (a hand run of a monthly bridge: hours of tries), so any restart meanwhile met one. Here the gap
 * is the lock free at one look, its holder (a store of its own) taking it again right after.
 */
import t from 'tap';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';
import { countingJob, gapAtFirstFreeLook, liveRun, hold, JOB, minutely, refusals } from './lock-gap-rig.js';

for (const engine of engineCases())
  t.test(
    `${engine.name}: a tick tried again while locked does not take the lock in its holder's gap`,
    { skip: engine.skip },
    async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const first = await hold(b);
      const { looks, back } = gapAtFirstFreeLook(a, b);
      const refused = refusals(a);
      const { job, calls } = countingJob();
      const scheduler = new Scheduler({
        store: a,
        instance: 'server',
        awayRetryMs: 50,
        jobs: [job],
        expression: minutely,
      });
      scheduler.start();
      t.teardown(() => scheduler.stop());
      // met held at its tick (refused), then tried again while held (looked at; the old code: refused again)
      await waitFor('the tick tried again while the lock is held', () => refused() + looks.length >= 2, 15_000);

      // the gap: the holder's lock gone for a moment, taken again right after the first look sees it free
      first.end();
      t.equal(await first.exit, 0);
      await waitFor(
        'the holder back and looked at three times, or the tick run in the gap',
        () => calls() > 0 || (back.holder !== undefined && looks.lastIndexOf(false) < looks.length - 3),
        15_000,
      );
      t.equal(calls(), 0, 'the tick did not run in the gap');
      t.same((await a.listJobRuns(JOB)).length, 0, 'nor was it recorded');
      t.ok(back.holder, 'the holder took its lock again');

      // the holder is over for good: two free looks, and the tick runs once
      back.holder!.end();
      t.equal(await back.holder!.exit, 0, 'the holder ended whole: its lock was never taken from it');
      await waitFor('the tick run', async () => (await a.listJobRuns(JOB))[0]?.outcome === 'ok', 15_000);
      await scheduler.stop();
      const runs = await a.listJobRuns(JOB);
      t.equal(runs.length, 1);
      t.match(runs[0], { outcome: 'ok', trigger: 'schedule', instance: 'server' });
      t.equal(calls(), 1);
      t.same(looks.slice(-2), [false, false], 'taken after two free looks');
    },
  );

for (const engine of engineCases())
  t.test(
    `${engine.name}: a starting instance does not close a live run whose lock it sees free once`,
    { skip: engine.skip },
    async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const live = await liveRun(b);
      const { looks, back } = gapAtFirstFreeLook(a, b);
      const { job } = countingJob();
      const starting = new Scheduler({
        store: a,
        instance: 'starting',
        awayRetryMs: 50,
        jobs: [job],
        expression: minutely,
      });
      t.equal(await starting.closeAbandonedRuns(), 0, 'nothing closed');
      t.same(looks, [false, true], 'free at the first look, held at the second');
      t.match((await a.listJobRuns(JOB))[0], { id: live!.id, outcome: 'running', instance: 'live' });

      // its instance gone for good: free on both looks, the run is closed
      back.holder!.end();
      await back.holder!.exit;
      t.equal(await starting.closeAbandonedRuns(), 1, 'closed once free on two looks');
      t.match((await a.listJobRuns(JOB))[0], { id: live!.id, outcome: 'failed' });
      t.same(looks.slice(-2), [false, false]);
    },
  );
