/**
 * A scheduled tick that meets a run by hand of the same process (`POST /admin/jobs/{name}/run`:
 * Scheduler.runNow; the tick's `busy`) is tried again every awayRetryMs and runs once the hand
 * run is over, as one meeting a hand run's lock held elsewhere does (scheduler-tick-meets-hand-run):
 * a hand run records no tick, and the tick dropped as "previous run still going" left a monthly
 * bridge's other lookback periods a month late. A tick already tried again because the lock was
 * held elsewhere said "the job lock is free" before dropping it so; now it says what holds it.
 */
import t, { type Test } from 'tap';
import { Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import type { Store } from '../../../src/store/types.js';
import { capturingLogger, type CapturedLine } from '../../support/capturing-logger.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';
import { hold, JOB, minutely, refusals } from './lock-gap-rig.js';

const LOCKED =
  'the job is locked elsewhere (a run by hand or another instance): the tick is tried again until it is free';
const HAND_RUN_HERE = 'a run by hand of the job is under way here: the tick is tried again once it is over';
const LEFT_OUT = 'previous run still going: tick left out';
const FREE = 'the job lock is free: the tick was taken up again';

/** JOB, each run counted; the first (the run by hand) held until `release()`, `started` once it runs. */
function heldFirstRun() {
  let calls = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let begun!: () => void;
  const started = new Promise<void>((resolve) => (begun = resolve));
  const job: ScheduledJob = {
    name: JOB,
    setting: 'schedules.stockToDhis2',
    description: JOB,
    run: async () => {
      calls += 1;
      if (calls === 1) {
        begun();
        await released;
      }
      return { counts: { sent: 1 } };
    },
  };
  return { job, calls: () => calls, release, started };
}

/** A scheduler of JOB on `store`, unscheduled until `start()`: then once a minute, its tick two seconds off. */
function scheduler(t: { teardown(fn: () => unknown): void }, store: Store, job: ScheduledJob) {
  const { lines, logger } = capturingLogger();
  let expression = 'off';
  const s = new Scheduler({
    store,
    logger,
    instance: 'server',
    awayRetryMs: 50,
    jobs: [job],
    expression: () => (expression === 'off' ? undefined : expression),
  });
  t.teardown(() => s.stop());
  const start = () => {
    // read as it is armed: a slow start does not miss the tick (the next would be a minute off)
    expression = minutely();
    s.start();
  };
  return { s, lines, start };
}

const said = (lines: CapturedLine[]) => lines.map((l) => [l.level, l.msg, l.obj.status]);
const metHandRun = (lines: CapturedLine[]) => lines.some((l) => l.msg === HAND_RUN_HERE || l.msg === LEFT_OUT);

/** The tick's run and the hand run, newest first, once the tick's is recorded ok. */
async function bothRuns(t: Test, store: Store) {
  await waitFor(
    'the tick run',
    async () => (await store.listJobRuns(JOB)).some((r) => r.trigger === 'schedule' && r.outcome === 'ok'),
    15_000,
  );
  const runs = await store.listJobRuns(JOB);
  t.equal(runs.length, 2, 'the hand run and the tick run');
  t.same(runs.map((r) => r.trigger).sort(), ['manual', 'schedule']);
  t.ok(runs.find((r) => r.trigger === 'schedule')!.tickAt !== undefined, 'the tick run is for its tick');
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: a tick meeting a run by hand here runs once it is over`, { skip: engine.skip }, async (t) => {
    const { a } = await twoStoresOn(engine, t);
    const held = heldFirstRun();
    const server = scheduler(t, a, held.job);
    const hand = server.s.runNow(JOB);
    await held.started;
    server.start();
    await waitFor('the tick met the run by hand', () => metHandRun(server.lines), 15_000);
    t.equal(held.calls(), 1, 'nothing ran beside the hand run');
    held.release();
    t.match(await hand, { status: 'ran' }, 'the hand run ended whole');
    await bothRuns(t, a);
    await server.s.stop();
    t.equal(held.calls(), 2);
    t.same(said(server.lines), [
      ['warn', HAND_RUN_HERE, undefined],
      ['info', FREE, 'ran'],
    ]);
  });

  t.test(
    `${engine.name}: a tick tried again while locked elsewhere that meets a run by hand here runs once it is over`,
    { skip: engine.skip },
    async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const elsewhere = await hold(b, 'the CLI run');
      const refused = refusals(a);
      const held = heldFirstRun();
      const server = scheduler(t, a, held.job);
      server.start();
      await waitFor('the tick met the held lock', () => refused() >= 1, 15_000);
      // the tick's looks at the lock wait while the lock passes from the CLI run to a run by hand here
      // (so the tick cannot take it between): then it finds the hand run under way
      const look = a.advisoryLockHeld.bind(a);
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      a.advisoryLockHeld = async (name: string) => {
        await opened;
        return look(name);
      };
      elsewhere.end();
      t.equal(await elsewhere.exit, 0, 'the CLI run ended whole');
      const hand = server.s.runNow(JOB);
      await held.started;
      open();
      await waitFor('the tick met the run by hand', () => metHandRun(server.lines), 15_000);
      t.equal(held.calls(), 1, 'nothing ran beside the hand run');
      held.release();
      t.match(await hand, { status: 'ran' }, 'the hand run ended whole');
      await bothRuns(t, a);
      await server.s.stop();
      t.equal(held.calls(), 2);
      t.same(said(server.lines), [
        ['warn', LOCKED, undefined],
        ['info', HAND_RUN_HERE, undefined],
        ['info', FREE, 'ran'],
      ]);
    },
  );
}
