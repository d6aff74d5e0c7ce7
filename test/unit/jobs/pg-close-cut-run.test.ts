/**
 * PostgreSQL: a run the stop cut (its work held past the grace, ignoring its signal) keeps its
 * job's lock on a connection of the store's pool until the work stops. Closing the store then
 * used to wait for that connection (pool.end waits for every client given out), so a stop with
 * such a run waited out serve's 25 s limit and exited 1. Now close() drops the lock's session: it
 * ends without the run, and the lock is free to another instance at once. The pools stop giving
 * out connections before the lock goes, or the cut run's next write would land with no lock
 * guarding it (another instance may be running the job by then). Needs TEST_DATABASE_URL.
 */
import t from 'tap';
import { Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

const pgCase = engineCases().find((e) => e.name === 'postgres')!;

t.test('closing the store does not wait for a cut run that still holds its lock', { skip: pgCase.skip }, async (t) => {
  const db = await pgCase.freshDatabase();
  t.teardown(db.drop);
  const store = await openStore({ databaseUrl: db.databaseUrl });
  const other = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(() => other.close());
  let endWork!: () => void;
  const workHeld = new Promise<void>((resolve) => (endWork = resolve));
  t.teardown(() => endWork());
  let started = false;
  const job: ScheduledJob = {
    name: 'stuck',
    setting: 'schedules.stuck',
    description: 'a run held in a call that does not hear its signal',
    run: async () => {
      started = true;
      await workHeld;
      return {};
    },
  };
  const scheduler = new Scheduler({ store, jobs: [job], expression: () => undefined, stopGraceMs: 100 });
  const ran = scheduler.runNow('stuck');
  await waitFor('the run under way', () => started);
  await scheduler.stop('SIGTERM');
  t.match(await ran, { status: 'failed', run: { detail: /^interrupted: .*was cut/ } }, 'the run was cut');
  t.same(await other.withAdvisoryLock('schedule:stuck', async () => 'ran'), { ran: false }, 'its lock still held');

  const closed = store.close().then(() => 'closed');
  let timer: NodeJS.Timeout | undefined;
  const stillWaiting = new Promise<string>((r) => (timer = setTimeout(() => r('still waiting'), 20_000)));
  t.equal(await Promise.race([closed, stillWaiting]), 'closed', 'the close does not wait for the run');
  clearTimeout(timer);
  await waitFor('the lock free', async () => (await other.withAdvisoryLock('schedule:stuck', async () => 1)).ran);
  t.pass('another instance takes the lock: the dropped session took it with it');
});

t.test(
  'a run still going when the store closes writes nothing once its lock is dropped',
  { skip: pgCase.skip },
  async (t) => {
    const db = await pgCase.freshDatabase();
    t.teardown(db.drop);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    let entered!: () => void;
    const inRun = new Promise<void>((resolve) => (entered = resolve));
    let write: Promise<string> | undefined;
    const running = store.withAdvisoryLock('schedule:cut', (signal) => {
      entered();
      return new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => {
          // the run's next write, made as soon as it hears its lock is gone
          write = store.startJobRun({ name: 'cut', trigger: 'manual', instance: 'test', startedAt: 1_000 }).then(
            () => 'written',
            (err: Error) => `refused: ${err.message}`,
          );
          resolve();
        }),
      );
    });
    await inRun;
    await store.close();
    await running;
    t.ok(write, 'the run was told its lock was dropped');
    t.match(await write, /^refused/, 'the write after the lock was dropped was refused');
    const check = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => check.close());
    t.same(await check.listJobRuns('cut'), [], 'nothing of it in the database');
  },
);
