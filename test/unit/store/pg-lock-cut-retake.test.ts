/**
 * A PostgreSQL session cut (pg_terminate_backend, a killed process's connection) keeps its
 * advisory locks for a moment after its client heard of the cut (42616e7: 3 % of cuts). The
 * cut instance takes its lock again queued behind the dying backend (granted as it lets go,
 * before another instance's try-lock); another instance's run asks once, and again only when
 * pg_locks names nobody (97ee20e's wait let it take a live run's lock first); a lease holder
 * asks again at once, then after growing pauses. Fake sessions where the moment the dying
 * backend lets go is the test's to choose, and real PostgreSQL for the queue.
 */
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import pgLib from 'pg';
import t from 'tap';
import {
  HeldAdvisoryLock,
  TAKE_LOCK_SQL,
  lockHolders,
  lockSessionOf,
  takeLockUnlessHeld,
  type Queryable,
} from '../../../src/store/pg-held-lock.js';
import { PgLeaseHolders } from '../../../src/store/pg-lease-holders.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

/** Sessions waiting for an advisory lock of this test's database (another test's, on the same server, are not ours). */
const WAITING_HERE_SQL = `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

const DYING = { pid: 4242, since: '2026-12-06 10:00:00+00' };

/** A session answering the lock asks with `locked` in turn (then true), pg_locks with `holders`. */
function fakeSession(locked: boolean[], holders: (typeof DYING)[][] = []) {
  const asked: string[] = [];
  const session = {
    async query(sql: string) {
      asked.push(sql);
      if (/pg_locks/.test(sql)) return { rows: holders.shift() ?? [] };
      const got = locked.shift() ?? true;
      return { rows: [{ locked: got, pid: 7, since: '2026-12-06 10:00:01+00' }] };
    },
  };
  return Object.assign(session as unknown as Queryable, { asked });
}

t.test('a run: a lock held, by a live backend or a dying one, is refused at once', async (t) => {
  // from another instance a dying backend looks as a live one: waiting for it took the cut
  // instance's lock before its own retake, and stopped its live run
  const session = fakeSession([false, false], [[DYING], [DYING]]);
  t.same(await takeLockUnlessHeld(session, 'schedule:x'), { locked: false });
  t.equal(session.asked.filter((q) => /pg_try_advisory_lock/.test(q)).length, 1, 'asked once');
  t.equal(session.asked.filter((q) => /pg_locks/.test(q)).length, 1, 'who holds it asked once');
});

t.test('a run: held by nobody by the time pg_locks is read, asked again at once', async (t) => {
  const session = fakeSession([false], [[]]);
  t.same(await takeLockUnlessHeld(session, 'schedule:x'), {
    locked: true,
    session: { pid: 7, since: '2026-12-06 10:00:01+00' },
  });
});

t.test('a run: a lock given back and taken again at every look is refused after a few asks', async (t) => {
  const session = fakeSession(
    Array.from({ length: 10 }, () => false),
    Array.from({ length: 10 }, () => []),
  );
  t.same(await takeLockUnlessHeld(session, 'schedule:x'), { locked: false });
  t.equal(session.asked.filter((q) => /pg_try_advisory_lock/.test(q)).length, 3);
});

/** Lease-holder sessions: each answers its lock ask with the next of `answers` (then true). */
function fakeClients(answers: boolean[]) {
  const made: (EventEmitter & { ended: boolean })[] = [];
  const newClient = () => {
    const c = Object.assign(new EventEmitter(), {
      ended: false,
      async connect() {},
      async query() {
        return { rows: [{ got: answers.shift() ?? true }] };
      },
      async end() {
        c.ended = true;
      },
    });
    made.push(c);
    return c as unknown as pg.Client;
  };
  return { newClient, made };
}

t.test('a lease holder whose session was cut takes its lock again once the dying backend lets go', async (t) => {
  const { newClient, made } = fakeClients([true, false, false]);
  // a second between asks after failures, as before: the lock must be back long before it
  const holders = new PgLeaseHolders(newClient, 60_000);
  t.teardown(() => holders.close());
  holders.hold('host-1');
  await waitFor('the lock held', () => holders.holds('host-1'));
  made[0].emit('end'); // the connection cut: the backend still holds the lock a moment
  t.notOk(holders.holds('host-1'), 'not held while its session is gone');
  await waitFor('the lock held again', () => holders.holds('host-1'), 10_000);
  t.equal(made.length, 4, 'asked at once, refused twice by the dying backend, then taken');
  t.ok(made[1].ended && made[2].ended, 'the refused sessions closed');
});

t.test(
  "PostgreSQL: the cut instance's retake waits in PostgreSQL's queue and wins over a polling run",
  { skip: engineCases().find((e) => e.name === 'postgres')!.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(
      engineCases().find((e) => e.name === 'postgres')!,
      t,
    );
    const connect = async () => {
      const c = new pgLib.Client({ connectionString: databaseUrl });
      await c.connect();
      t.teardown(() => c.end());
      return c;
    };
    // the cut session's backend, still holding the lock as it exits: given back when the test says
    const dying = await connect();
    const old = lockSessionOf((await dying.query(TAKE_LOCK_SQL, ['schedule:x'])).rows[0])!;
    const watch = await connect();
    const pool = new pgLib.Pool({ connectionString: databaseUrl, max: 2 });
    t.teardown(() => pool.end());
    const cut = Object.assign(new EventEmitter(), { release() {} });
    const lock = new HeldAdvisoryLock(pool, cut as unknown as pg.PoolClient, 'schedule:x', 1_000, 60_000, old);
    // another instance's run asking for the lock as often as it can
    const other = await connect();
    let polling = true;
    let otherGot = false;
    const poll = (async () => {
      while (polling && !otherGot)
        otherGot = (await other.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', ['schedule:x'])).rows[0].got;
    })();
    cut.emit('end'); // the client heard of the cut
    const waiting = async () => (await watch.query(WAITING_HERE_SQL)).rowCount! > 0;
    let queued = true;
    await waitFor('the retake queued behind the dying backend', waiting, 5_000).catch(() => (queued = false));
    t.ok(queued, 'the retake waits in the lock queue');
    await dying.query('SELECT pg_advisory_unlock(hashtext($1))', ['schedule:x']); // the backend lets go
    const holders = async () => lockHolders(watch, 'schedule:x');
    await waitFor('the lock held again', async () => (await holders()).length > 0);
    polling = false;
    await poll;
    t.notOk(otherGot, "the polling run never got the cut instance's lock");
    t.notOk(lock.signal.aborted, 'the live run goes on');
    await lock.release();
  },
);

/** A client whose connection opens `delayMs` late: a loaded host, a remote database. */
function slowClient(delayMs: number): typeof pgLib.Client {
  class SlowClient extends pgLib.Client {
    // the pool connects with a callback
    connectLate(callback: (err: Error | null) => void): void {
      setTimeout(() => super.connect().then(() => callback(null), callback), delayMs);
    }
  }
  const connect = function (this: SlowClient, callback?: (err: Error | null) => void) {
    if (callback) return this.connectLate(callback);
    return new Promise<void>((resolve, reject) => this.connectLate((err) => (err ? reject(err) : resolve())));
  };
  Object.defineProperty(SlowClient.prototype, 'connect', { value: connect });
  return SlowClient;
}

t.test(
  'PostgreSQL: the retake is queued before the cut, so a backend letting go at once is no window',
  { skip: engineCases().find((e) => e.name === 'postgres')!.skip },
  async (t) => {
    const { databaseUrl } = await freshStore(
      engineCases().find((e) => e.name === 'postgres')!,
      t,
    );
    const connect = async () => {
      const c = new pgLib.Client({ connectionString: databaseUrl });
      await c.connect();
      t.teardown(() => c.end());
      return c;
    };
    // the holder's session: cut, its backend lets go at once
    const dying = await connect();
    const old = lockSessionOf((await dying.query(TAKE_LOCK_SQL, ['schedule:x'])).rows[0])!;
    const watch = await connect();
    // this instance's pool opens a connection in 1.5 s: a retake opening one after the cut is far too late
    const pool = new pgLib.Pool({ connectionString: databaseUrl, max: 2, Client: slowClient(1_500) });
    t.teardown(() => pool.end());
    const cut = Object.assign(new EventEmitter(), { release() {} });
    const lock = new HeldAdvisoryLock(pool, cut as unknown as pg.PoolClient, 'schedule:x', 60_000, 60_000, old);
    const waiting = async () => (await watch.query(WAITING_HERE_SQL)).rowCount! > 0;
    // queued as the run goes on, in the background
    let queued = true;
    await waitFor('a session of this instance queued behind the holder', waiting, 10_000).catch(() => (queued = false));
    t.ok(queued, 'a session of this instance waits for the lock behind the holder while the run goes on');
    const other = await connect();
    const otherPid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    let polling = true;
    let otherGot = false;
    const poll = (async () => {
      while (polling && !otherGot)
        otherGot = (await other.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', ['schedule:x'])).rows[0].got;
    })();
    await dying.query('SELECT pg_advisory_unlock(hashtext($1))', ['schedule:x']); // the backend lets go
    cut.emit('end'); // and the client hears of the cut
    await waitFor('the lock held again, or lost', async () => {
      const holders = await lockHolders(watch, 'schedule:x');
      return otherGot || lock.signal.aborted || holders.some((h) => h.pid !== otherPid);
    });
    polling = false;
    await poll;
    t.notOk(otherGot, "another instance's polling run never got the cut instance's lock");
    t.notOk(lock.signal.aborted, 'the live run goes on');
    await lock.release();
    t.same(await lockHolders(watch, 'schedule:x'), [], 'given back at the end, the standby too');
    t.equal(pool.totalCount - pool.idleCount, 0, 'every connection back in the pool');
  },
);
