/**
 * The standby session a running job keeps queued for its own lock (pg-lock-standby.ts): on a
 * connection of its own, never one of the store's pool (it waits for the whole run), and it may
 * hold the lock only for the run it stands by. A run stopped (its lock lost) whose standby is
 * granted later must not keep that lock, nor its connection: every other instance's next run of
 * the job would be refused until the process ends. A database gone silent (the standby neither
 * granted nor cut) stops the run as an outage, as the retake without a standby did. Real
 * PostgreSQL for the lock queue; fakes for the silent database.
 */
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import pgLib from 'pg';
import t from 'tap';
import { PostgresStore } from '../../../src/store/postgres.js';
import { HeldAdvisoryLock, TAKE_LOCK_SQL, lockHolders, lockSessionOf } from '../../../src/store/pg-held-lock.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

/** Sessions waiting for an advisory lock of this test's database (another test's, on the same server, are not ours). */
const WAITING_HERE_SQL = `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

const postgres = engineCases().find((e) => e.name === 'postgres')!;

t.test(
  'PostgreSQL: a run stopped while its standby waits keeps neither the lock nor the connection',
  { skip: postgres.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(postgres, t);
    const connect = async () => {
      const c = new pgLib.Client({ connectionString: databaseUrl });
      await c.connect();
      t.teardown(() => c.end());
      return c;
    };
    // the cut session's backend, lingering (a client that vanished unseen): it keeps the lock
    const dying = await connect();
    const old = lockSessionOf((await dying.query(TAKE_LOCK_SQL, ['schedule:x'])).rows[0])!;
    const watch = await connect();
    const pool = new pgLib.Pool({ connectionString: databaseUrl, max: 3 });
    // a client never given back would hold the pool's end for good
    t.teardown(() => Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2_000))]));
    // answers its liveness check until cut: a check before the cut (a slow standby on a loaded host) found no query and threw
    const cut = Object.assign(new EventEmitter(), { release() {}, query: async () => ({ rows: [] }) });
    // the old session's lingering is waited for 300 ms only: then the run is stopped
    const lock = new HeldAdvisoryLock(pool, cut as unknown as pg.PoolClient, 'schedule:x', 100, 300, old);
    await waitFor('the standby queued', () => lock.standbyQueued, 5_000);
    cut.emit('end'); // the client heard of the cut
    await waitFor('the run stopped', () => lock.signal.aborted, 5_000);
    // the lingering backend lets go at last, while the stopped run is still winding down
    await dying.query('SELECT pg_advisory_unlock(hashtext($1))', ['schedule:x']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await lock.release(); // the run ends
    await waitFor('the lock free', async () => (await lockHolders(watch, 'schedule:x')).length === 0, 3_000).catch(
      () => undefined,
    );
    t.same(await lockHolders(watch, 'schedule:x'), [], 'no session of the stopped run holds the lock');
    const other = await connect();
    const got = (await other.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', ['schedule:x'])).rows[0].got;
    t.ok(got, "another instance's next run gets the lock");
    // a generous wait (a loaded host): a connection kept out of the pool never comes back
    await waitFor('every connection back', () => pool.totalCount === pool.idleCount, 30_000).catch(() => undefined);
    t.equal(pool.totalCount - pool.idleCount, 0, 'no connection kept out of the pool');
  },
);

t.test(
  "PostgreSQL: running jobs' standbys take no connection of the store's pool",
  { skip: postgres.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(postgres, t);
    const store = new PostgresStore(databaseUrl, 4);
    t.teardown(() => store.close());
    const pool = (store as unknown as { pool: pg.Pool }).pool;
    const watch = new pgLib.Client({ connectionString: databaseUrl });
    await watch.connect();
    t.teardown(() => watch.end());
    const waiting = async () => (await watch.query(WAITING_HERE_SQL)).rowCount;
    // two jobs running at once, each with its standby queued behind its lock
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const runs = ['schedule:a', 'schedule:b'].map((name) => store.withAdvisoryLock(name, () => finished));
    await waitFor('both standbys queued', async () => (await waiting()) === 2, 10_000);
    // the holders too have sessions of their own (PostgresStore.jobLockPool): a busy pool is no outage for them
    t.equal(pool.totalCount - pool.idleCount, 0, 'the pool lends the runs nothing');
    // two requests at once: each gets a connection without waiting for a run to end
    const requests = [0, 1].map(() => pool.query('SELECT pg_sleep(0.3)'));
    await new Promise((resolve) => setImmediate(resolve));
    t.equal(pool.waitingCount, 0, 'no request waits for a connection');
    await Promise.all(requests);
    finish();
    const ends = await Promise.all(runs);
    t.same(
      ends.map((e) => e.ran),
      [true, true],
    );
    t.same(await lockHolders(watch, 'schedule:a'), [], 'given back, the standby too');
    t.equal(await waiting(), 0, 'no standby left waiting');
  },
);

/** A standby's client that connects and names its backend, then waits for the lock for ever (a silent server). */
class SilentStandbyClient extends EventEmitter {
  async connect() {}
  query(sql: string | { text: string }): Promise<{ rows: Record<string, unknown>[] }> {
    const text = typeof sql === 'string' ? sql : sql.text;
    if (/pg_advisory_lock/.test(text)) return new Promise(() => undefined);
    return Promise.resolve({ rows: [{ pid: 77, since: '2026-12-06 10:00:02+00' }] });
  }
  async end() {}
}

t.test(
  'the database silent after the cut: the run is stopped as for the database away, not another holder',
  async (t) => {
    // pg's own words for a pool that cannot open a connection in time: the database away
    const silent = () => new Error('timeout exceeded when trying to connect');
    const pool = {
      Client: SilentStandbyClient,
      options: {},
      async connect() {
        throw silent();
      },
      async query() {
        throw silent();
      },
    };
    // answers its liveness check until cut: a check before the cut (a slow standby on a loaded host) found no query and threw
    const cut = Object.assign(new EventEmitter(), { release() {}, query: async () => ({ rows: [] }) });
    const old = { pid: 4242, since: '2026-12-06 10:00:00+00' };
    const lock = new HeldAdvisoryLock(
      pool as unknown as pg.Pool,
      cut as unknown as pg.PoolClient,
      'schedule:x',
      20,
      200,
      old,
    );
    await waitFor('the standby queued', () => lock.standbyQueued, 5_000);
    cut.emit('end'); // the holder's session stopped answering
    await waitFor('the run stopped', () => lock.signal.aborted, 5_000);
    const reason = lock.signal.reason as { databaseAway?: boolean; message?: string };
    t.equal(reason.databaseAway, true, 'lost to the database away: the tick is tried again once it is back');
    t.match(reason.message, /could not be taken again, the database away/);
    t.notMatch(reason.message, /old session/, 'no old session was seen holding it');
    await lock.release();
  },
);
