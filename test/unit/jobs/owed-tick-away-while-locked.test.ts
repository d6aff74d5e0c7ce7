/**
 * A cut run's owed tick (cut-run.ts) that met its job's lock held takes it again only once it
 * looked free twice (scheduler-restart-gap-take.test.ts), also after the database went away
 * between two tries: a PostgreSQL restart is what makes the gap (the holder's session gone, its
 * instance not yet reconnected). A look failing with the database away made the next try take the
 * lock at once, in the gap: the owed tick ran beside the live run, whose holder then found its
 * lock held elsewhere and stopped it part way. Real stores, both engines; the restart is a look
 * failing so while the holder (a store of its own) lets go, and takes its lock again right after
 * the next look sees it free.
 */
import t from 'tap';
import { nextFire } from '../../../src/jobs/cron.js';
import { ABANDONED, Scheduler, type SchedulerLogger } from '../../../src/jobs/scheduler.js';
import { markDatabaseAway } from '../../../src/store/database-away.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';
import { countingJob, hold, JOB, type Holder } from './lock-gap-rig.js';

/** Once a year (midnight, 1 January): the tick before now is this year's, the next one months off. */
const YEARLY = '0 0 1 1 *';
const DAY = 86_400_000;

/** This year's tick of YEARLY: the latest at or before now. */
function lastTick(now = Date.now()): number {
  let last = nextFire(YEARLY, now - 800 * DAY)!;
  for (let next = nextFire(YEARLY, last)!; next <= now; next = nextFire(YEARLY, last)!) last = next;
  return last;
}

function messages(): SchedulerLogger & { msgs: (string | undefined)[] } {
  const msgs: (string | undefined)[] = [];
  const push = (_obj: object, msg?: string) => void msgs.push(msg);
  return { msgs, info: push, warn: push, error: push };
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: an owed tick met locked does not take the lock in the gap after the database was away`,
    { skip: engine.skip },
    async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const tick = lastTick();
      // this year's tick cut by a kill (closed as abandoned at a start): the tick is owed
      await a.startJobRun({ name: JOB, tickAt: tick, trigger: 'schedule', instance: 'gone:1', startedAt: tick + 1000 });
      await a.abandonJobRuns(JOB, tick + 5000, ABANDONED);
      const first = await hold(b);

      const looks: boolean[] = [];
      let restart = false;
      let gone = false;
      const back: { holder?: Holder } = {};
      const real = a.advisoryLockHeld.bind(a);
      a.advisoryLockHeld = async (name: string) => {
        if (restart && !gone) {
          // the database restarting: the holder's session (and lock) gone, this look fails
          gone = true;
          first.end();
          await first.exit;
          const err = new Error('Connection terminated unexpectedly');
          markDatabaseAway(err);
          throw err;
        }
        const held = await real(name);
        looks.push(held);
        // the holder's instance reconnected right after the database came back
        if (!held && gone && !back.holder) back.holder = await hold(b);
        return held;
      };
      const { job, calls } = countingJob();
      const logger = messages();
      const scheduler = new Scheduler({
        store: a,
        instance: 'server',
        awayRetryMs: 20,
        jobs: [job],
        logger,
        expression: () => YEARLY,
      });
      t.teardown(() => scheduler.stop());
      scheduler.start();
      await waitFor('the owed tick met the lock held and looked', () => looks.includes(true), 15_000);
      t.ok(logger.msgs.includes('the owed tick is tried again'));
      restart = true;
      await waitFor(
        'the holder back and looked at three times, or the owed tick run in the gap',
        () => calls() > 0 || (back.holder !== undefined && looks.lastIndexOf(false) < looks.length - 3),
        15_000,
      );
      t.equal(calls(), 0, 'the owed tick did not run in the gap');
      t.ok(back.holder, 'the holder took its lock again');

      // the holder over for good: the owed tick runs once
      back.holder!.end();
      t.equal(await back.holder!.exit, 0, 'the holder ended whole: its lock was never taken from it');
      await scheduler.resumed();
      t.equal(calls(), 1, 'the owed tick run once');
      t.same(looks.slice(-2), [false, false], 'taken after two free looks');
      const runs = await a.listJobRuns(JOB);
      t.equal(runs.filter((r) => r.outcome === 'ok').length, 1, 'one run of the owed tick');
    },
  );
