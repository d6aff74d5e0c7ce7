/**
 * A run by hand (admin API's POST /admin/jobs/:name/run, `jobs run`) takes a job's lock only once
 * it looked free twice where a live run may hold it (a run of the job still marked running), as a
 * tick does (scheduler-restart-gap-take.test.ts). In a PostgreSQL restart's gap the holder's
 * session is gone and its instance has not yet taken the lock again: a run by hand taking it then
 * closed the live run as abandoned and ran the job beside it, and the holder, finding its lock
 * held elsewhere, stopped its run part way. Here the gap is the lock free at one look, its holder
 * (a store of its own) taking it again right after.
 */
import t from 'tap';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { countingJob, gapAtFirstFreeLook, liveRun, JOB } from './lock-gap-rig.js';

for (const engine of engineCases())
  t.test(
    `${engine.name}: a run by hand does not take the lock in a live run's holder's gap`,
    { skip: engine.skip },
    async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const live = await liveRun(b);
      const { looks, back } = gapAtFirstFreeLook(a, b);
      const { job, calls } = countingJob();
      const scheduler = new Scheduler({
        store: a,
        instance: 'by-hand',
        awayRetryMs: 50,
        jobs: [job],
        expression: () => undefined,
      });
      t.teardown(() => scheduler.stop());

      t.match(await scheduler.runNow(JOB), { status: 'locked' }, 'refused: the holder came back');
      t.equal(calls(), 0, 'the job did not run beside the live run');
      t.same(looks, [false, true], 'free at the first look, held at the second');
      t.match((await a.listJobRuns(JOB))[0], { id: live!.id, outcome: 'running', instance: 'live' });

      // the live run's instance gone for good: free on both looks, the run by hand closes it and runs
      back.holder!.end();
      t.equal(await back.holder!.exit, 0, 'the holder ended whole: its lock was never taken from it');
      t.match(await scheduler.runNow(JOB), { status: 'ran' });
      t.equal(calls(), 1);
      t.same(looks.slice(-2), [false, false], 'taken after two free looks');
      const runs = await a.listJobRuns(JOB);
      t.equal(runs.length, 2);
      t.match(
        runs.find((r) => r.id === live!.id),
        { outcome: 'failed' },
        'the dead run closed as abandoned',
      );
      t.match(
        runs.find((r) => r.id !== live!.id),
        { outcome: 'ok', trigger: 'manual' },
      );

      // no run marked running: a run by hand takes the lock at once, without looking
      const before = looks.length;
      t.match(await scheduler.runNow(JOB), { status: 'ran' });
      t.equal(looks.length, before, 'no look');
    },
  );
