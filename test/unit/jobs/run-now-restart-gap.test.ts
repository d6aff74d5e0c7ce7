/**
 * A run by hand (admin API's POST /admin/jobs/:name/run, `jobs run`) takes a job's lock only once
 * it looked free twice where a live run may hold it (a run of the job still marked running), as a
 * tick does (scheduler-restart-gap-take.test.ts). In a PostgreSQL restart's gap the holder's
 * session is gone and its instance has not yet taken the lock again: a run by hand taking it then
 * closed the live run as abandoned and ran the job beside it, and the holder, finding its lock
 * held elsewhere, stopped its run part way. Here the gap is the lock free at one look, its holder
 * (a store of its own) taking it again right after.
 */
import { PassThrough } from 'node:stream';
import t from 'tap';
import { holdingJobLock } from '../../../src/cli/job-lock.js';
import { Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';

const JOB = 'stockToDhis2';

/** The lock held on `store` (the holder's own connection) until `end()`; resolves once held. */
async function hold(store: Store): Promise<{ end(): void; exit: Promise<number> }> {
  let end!: () => void;
  const over = new Promise<void>((resolve) => (end = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const exit = holdingJobLock(store, JOB, 'bridge stock-to-dhis2', new PassThrough(), async () => {
    holding();
    await over;
    return 0;
  });
  await Promise.race([held, exit.then((code) => Promise.reject(new Error(`the holder exited ${code}`)))]);
  return { end, exit };
}

/**
 * The lock free now (the holder's session gone); the holder takes it again on `holderStore` at the
 * first look `store` takes (its session back), before that look answers, or, when nothing looks,
 * as `store` takes the lock (withAdvisoryLock, which then finds it free: the old code's take).
 */
function gapUntilFirstLook(store: Store, holderStore: Store) {
  const looks: boolean[] = [];
  const back: { holder?: Awaited<ReturnType<typeof hold>> } = {};
  const real = store.advisoryLockHeld.bind(store);
  store.advisoryLockHeld = async (name: string) => {
    const held = await real(name);
    looks.push(held);
    if (!held && !back.holder) back.holder = await hold(holderStore);
    return held;
  };
  return { looks, back };
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a run by hand does not take the lock in a live run's holder's gap`,
    { skip: engine.skip },
    async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const live = await b.startJobRun({
        name: JOB,
        tickAt: Date.now() - 1_000,
        trigger: 'schedule',
        instance: 'live',
        startedAt: Date.now(),
      });
      const { looks, back } = gapUntilFirstLook(a, b);
      let calls = 0;
      const job: ScheduledJob = {
        name: JOB,
        setting: 'schedules.stockToDhis2',
        description: JOB,
        run: async () => {
          calls += 1;
          return { counts: { sent: 1 } };
        },
      };
      const scheduler = new Scheduler({
        store: a,
        instance: 'by-hand',
        awayRetryMs: 50,
        jobs: [job],
        expression: () => undefined,
      });
      t.teardown(() => scheduler.stop());

      t.match(await scheduler.runNow(JOB), { status: 'locked' }, 'refused: the holder came back');
      t.equal(calls, 0, 'the job did not run beside the live run');
      t.same(looks, [false, true], 'free at the first look, held at the second');
      t.match((await a.listJobRuns(JOB))[0], { id: live!.id, outcome: 'running', instance: 'live' });

      // the live run's instance gone for good: free on both looks, the run by hand closes it and runs
      back.holder!.end();
      t.equal(await back.holder!.exit, 0, 'the holder ended whole: its lock was never taken from it');
      t.match(await scheduler.runNow(JOB), { status: 'ran' });
      t.equal(calls, 1);
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
