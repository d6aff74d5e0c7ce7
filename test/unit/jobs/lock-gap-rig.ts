/**
 * The rig the job-lock gap tests share (run-now-restart-gap, scheduler-restart-gap-take,
 * owed-tick-away-while-locked, cut-watch-restart-gap, scheduler-tick-meets-hand-run): the lock of
 * JOB held by another process's store, a store whose looks at the lock are counted (the holder
 * taking it again at the first free one: a PostgreSQL restart's gap), its refused tries counted,
 * and a job that counts its runs.
 */
import { PassThrough } from 'node:stream';
import { holdingJobLock } from '../../../src/cli/job-lock.js';
import type { ScheduledJob } from '../../../src/jobs/scheduler.js';
import type { Store } from '../../../src/store/types.js';

export const JOB = 'stockToDhis2';

export interface Holder {
  end(): void;
  exit: Promise<number>;
}

/**
 * JOB's lock held on `store` (the holder's own connection, as `cli bridge stock-to-dhis2` holds it)
 * until `end()`; resolves once held. `who` names the holder when it exits before holding.
 */
export async function hold(store: Store, who = 'the holder'): Promise<Holder> {
  let end!: () => void;
  const over = new Promise<void>((resolve) => (end = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const exit = holdingJobLock(store, JOB, 'bridge stock-to-dhis2', new PassThrough(), async () => {
    holding();
    await over;
    return 0;
  });
  await Promise.race([held, exit.then((code) => Promise.reject(new Error(`${who} exited ${code}`)))]);
  return { end, exit };
}

/**
 * `store`'s looks at the lock, counted; at the first free one the holder takes the lock again on
 * `holderStore` (its session back after the gap) before the look answers. When nothing looks, the
 * lock stays free for `store` to take (withAdvisoryLock: the old code's take).
 */
export function gapAtFirstFreeLook(store: Store, holderStore: Store) {
  const looks: boolean[] = [];
  const back: { holder?: Holder } = {};
  const real = store.advisoryLockHeld.bind(store);
  store.advisoryLockHeld = async (name: string) => {
    const held = await real(name);
    looks.push(held);
    if (!held && !back.holder) back.holder = await hold(holderStore);
    return held;
  };
  return { looks, back };
}

/** A run of JOB recorded running by instance 'live' for a tick a second ago, as a live run of another instance. */
export function liveRun(store: Store) {
  return store.startJobRun({
    name: JOB,
    tickAt: Date.now() - 1_000,
    trigger: 'schedule',
    instance: 'live',
    startedAt: Date.now(),
  });
}

/** How many times `store` refused the lock (the lock itself untouched). */
export function refusals(store: Store): () => number {
  let refused = 0;
  const real = store.withAdvisoryLock.bind(store);
  store.withAdvisoryLock = (async (key: string, fn: (signal: AbortSignal) => Promise<unknown>) => {
    const got = await real(key, fn);
    if (!got.ran) refused += 1;
    return got;
  }) as typeof store.withAdvisoryLock;
  return () => refused;
}

/** JOB, each run counted, each sending one. */
export function countingJob(): { job: ScheduledJob; calls: () => number } {
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

/** Once a minute, its tick two seconds from now: the next one is a minute off. */
export function minutely(): string {
  return `${new Date(Date.now() + 2_000).getSeconds()} * * * * *`;
}
