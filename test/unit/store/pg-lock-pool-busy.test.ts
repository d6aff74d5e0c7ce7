/**
 * A scheduled run while every connection of the store's pool is busy (requests and the outbox
 * hold them all). Its lock's sessions came from that pool: the tick's lock waited for a free
 * client and, past connectTimeoutMs, failed with pg-pool's "timeout exceeded when trying to
 * connect", read as the database away; a run whose lock session was cut could not take the lock
 * again for the same reason, and was stopped as for an outage. The lock's sessions have a pool of
 * their own now (PostgresStore.jobLockPool): a busy pool is not a silent database. Real
 * PostgreSQL.
 */
import type pg from 'pg';
import pgLib from 'pg';
import t, { type Test } from 'tap';
import { PostgresStore } from '../../../src/store/postgres.js';
import { lockHolders } from '../../../src/store/pg-held-lock.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

/** The backends of this test's database holding or waiting for an advisory lock (the run's holder and standby). */
const LOCK_BACKENDS_SQL = `SELECT pid FROM pg_locks WHERE locktype = 'advisory'
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/** A store with a pool of 2 and a short wait for a free client (the old code failed within 300 ms), and a watcher. */
async function storeWithWatch(t: Test) {
  const { databaseUrl } = await freshStore(postgres, t);
  const store = new PostgresStore(databaseUrl, 2, { connectTimeoutMs: 300 });
  const pool = (store as unknown as { pool: pg.Pool }).pool;
  const busy: pg.PoolClient[] = [];
  let queue: NodeJS.Timeout | undefined;
  let done = false;
  const hold = (c: pg.PoolClient) => (done ? c.release() : busy.push(c));
  // one clean-up, in order: the pool's clients given back before its close waits for them
  t.teardown(async () => {
    done = true;
    clearInterval(queue);
    busy.splice(0).forEach((c) => c.release());
    await store.close();
  });
  const watch = new pgLib.Client({ connectionString: databaseUrl });
  await watch.connect();
  t.teardown(() => watch.end());
  /** Every free connection of the store's pool taken, as by requests and the outbox, until the test's end. */
  const exhaust = async () => {
    while (pool.totalCount - pool.idleCount < 2) hold(await pool.connect());
    // and requests queued for it all the time: a connection given back (a cut session's) goes to them first
    queue = setInterval(() => pool.connect().then(hold, () => undefined), 50);
  };
  return { store, pool, watch, exhaust };
}

/** A run of `schedule:x` held open until `finish()`; `signal` once it has started. */
function openRun(t: Test, store: PostgresStore) {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const state: { signal?: AbortSignal; error?: unknown; finish: () => void } = { finish };
  t.teardown(finish); // a failed assertion leaves no run holding the store's close
  const run = store.withAdvisoryLock('schedule:x', (signal) => {
    state.signal = signal;
    return finished;
  });
  run.catch((err: unknown) => (state.error = err));
  return { run, state };
}

t.test(
  'PostgreSQL: with every pooled connection busy, a tick still takes its lock',
  { skip: postgres.skip },
  async (t) => {
    const { store, watch, exhaust } = await storeWithWatch(t);
    await exhaust();
    const { run, state } = openRun(t, store);
    // old code: "timeout exceeded when trying to connect", read as the database away
    await waitFor('the run started, or failed', () => state.signal !== undefined || state.error !== undefined, 10_000);
    t.equal(state.error, undefined, 'the run did not fail');
    t.equal((await lockHolders(watch, 'schedule:x')).length, 1, 'its lock held');
    state.finish();
    t.same(await run, { ran: true, value: undefined });
  },
);

t.test(
  'PostgreSQL: with every pooled connection busy, a run whose lock sessions are cut takes its lock again',
  { skip: postgres.skip },
  async (t) => {
    const { store, watch, exhaust } = await storeWithWatch(t);
    const { run, state } = openRun(t, store);
    await waitFor('the run started', () => state.signal !== undefined, 10_000);
    const [first] = await lockHolders(watch, 'schedule:x');
    t.ok(first, 'its lock held');
    await waitFor('its standby queued', async () => (await watch.query(LOCK_BACKENDS_SQL)).rowCount === 2, 10_000);
    await exhaust();
    // the holder's and the standby's sessions cut at once (a DBA, a proxy): the lock must be taken anew
    await watch.query(`SELECT pg_terminate_backend(pid) FROM (${LOCK_BACKENDS_SQL}) AS held`);
    // old code: asked through the busy pool, failing as the database away until LOCK_RETAKE_WITHIN_MS
    await waitFor(
      'the lock held again, by a new session',
      async () => (await lockHolders(watch, 'schedule:x')).some((h) => h.pid !== first.pid),
      10_000,
    );
    t.notOk(state.signal!.aborted, 'the run goes on: the busy pool is no outage');
    state.finish();
    t.same(await run, { ran: true, value: undefined });
    await waitFor('the lock given back', async () => (await lockHolders(watch, 'schedule:x')).length === 0, 5_000);
    t.same(await lockHolders(watch, 'schedule:x'), [], 'given back at the run’s end');
  },
);
