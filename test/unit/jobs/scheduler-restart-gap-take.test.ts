/**
 * A tick or a starting instance takes a job's lock only once it looked free twice where a live
 * run may hold it. In a PostgreSQL restart's gap the holder's session is gone and its instance has
 * not yet taken the lock again: taking it then on one look closed the live run as abandoned, ran
 * the tick beside it (a hand run records none) and made the holder's retake find the lock held
 * elsewhere, which stops the live run. A tick met by a held lock is tried again every awayRetryMs
 * (a hand run of a monthly bridge: hours of tries), so any restart meanwhile met one. Here the gap
 * is the lock free at one look, its holder (a store of its own) taking it again right after.
 */
import { PassThrough } from 'node:stream';
import t from 'tap';
import { holdingJobLock } from '../../../src/cli/job-lock.js';
import { Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

const JOB = 'stockToDhis2';

/** Once a minute, its tick two seconds from now: the next one is a minute off. */
function minutely(): string {
  return `${new Date(Date.now() + 2_000).getSeconds()} * * * * *`;
}

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
 * `store`'s looks at the lock, counted; at the first free one the holder takes the lock again on
 * `holderStore` (its session back after the gap) before the look answers.
 */
function gapAtFirstFreeLook(store: Store, holderStore: Store) {
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

/** How many times `store` refused the lock (the lock itself untouched). */
function refusals(store: Store): () => number {
  let refused = 0;
  const real = store.withAdvisoryLock.bind(store);
  store.withAdvisoryLock = (async (key: string, fn: (signal: AbortSignal) => Promise<unknown>) => {
    const got = await real(key, fn);
    if (!got.ran) refused += 1;
    return got;
  }) as typeof store.withAdvisoryLock;
  return () => refused;
}

function countingJob(): { job: ScheduledJob; calls: () => number } {
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
  return { job, calls: () => calls };
}

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
      const live = await b.startJobRun({
        name: JOB,
        tickAt: Date.now() - 1_000,
        trigger: 'schedule',
        instance: 'live',
        startedAt: Date.now(),
      });
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
