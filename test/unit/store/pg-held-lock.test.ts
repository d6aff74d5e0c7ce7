/**
 * HeldAdvisoryLock when the session holding a scheduled run's lock dies while the database is
 * away (refusing connections as it restarts): asked again every checkMs until retakeWithinMs,
 * the run goes on if the server is back by then, and is stopped if not, or at once for an error
 * that is not the database's. Fake pool and sessions: the timings are the test's to choose (the
 * real restart: test/e2e/jobs/pg-restart-mid-run.test.ts).
 */
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import t from 'tap';
import { HeldAdvisoryLock, type LockSession } from '../../../src/store/pg-held-lock.js';
import { waitFor } from '../../support/wait-for.js';

/** What PostgreSQL answers a connection while it starts up (SQLSTATE 57P03). */
const startingUp = () =>
  Object.assign(new Error('the database system is starting up'), { code: '57P03', severity: 'FATAL' });

class FakeSession extends EventEmitter {
  readonly queries: string[] = [];
  released?: unknown;
  async query(sql: string): Promise<{ rows: Record<string, unknown>[] }> {
    this.queries.push(sql);
    return { rows: [{ locked: true }] };
  }
  release(err?: unknown): void {
    // as pg-pool: a client given back twice is a bug it throws on
    if (this.released !== undefined) throw new Error('Release called on client which has already been released');
    this.released = err ?? 'pooled';
  }
}

/** A pool whose connects fail with `failWith()` the first `failures` times, then give new sessions. */
function fakePool(failures: number, failWith: () => Error = startingUp) {
  const sessions: FakeSession[] = [];
  let connects = 0;
  const pool = {
    async connect() {
      connects++;
      if (connects <= failures) throw failWith();
      const s = new FakeSession();
      sessions.push(s);
      return s;
    },
  };
  return { pool: pool as unknown as pg.Pool, sessions, connects: () => connects };
}

t.test('the database back within the bound: the lock is taken again and the run goes on', async (t) => {
  const { pool, sessions, connects } = fakePool(3);
  const first = new FakeSession();
  const lock = new HeldAdvisoryLock(pool, first as unknown as pg.PoolClient, 'schedule:x', 10, 5_000);
  first.emit('end'); // the server restarted: the session and its lock are gone
  await waitFor('a session after three refused connects', () => sessions.length === 1);
  t.equal(connects(), 4, 'asked again after each refusal');
  t.notOk(lock.signal.aborted, 'the run was not stopped');
  t.match(sessions[0].queries, [/lock_timeout/, /pg_advisory_lock\(/], 'the lock asked for on the new session');
  await lock.release();
  t.match(sessions[0].queries.at(-1), /pg_advisory_unlock/, 'given back on the session that holds it');
  t.ok(first.released instanceof Error, 'the dead session destroyed, not pooled');
});

t.test('the database still away after the bound: the run is stopped', async (t) => {
  const { pool } = fakePool(Infinity);
  const first = new FakeSession();
  const lock = new HeldAdvisoryLock(pool, first as unknown as pg.PoolClient, 'schedule:x', 10, 100);
  first.emit('end');
  await waitFor('the run stopped', () => lock.signal.aborted);
  t.match(String(lock.signal.reason), /lock schedule:x was lost mid-run .*could not be taken again, the database away/);
  await lock.release();
});

t.test('an error that is not the database away stops the run at once', async (t) => {
  const { pool, connects } = fakePool(1, () => new TypeError('a bug of ours'));
  const first = new FakeSession();
  const lock = new HeldAdvisoryLock(pool, first as unknown as pg.PoolClient, 'schedule:x', 10, 5_000);
  first.emit('end');
  await waitFor('the run stopped', () => lock.signal.aborted);
  t.equal(connects(), 1, 'not asked again');
  t.match(String(lock.signal.reason), /could not be taken again/);
  await lock.release();
});

t.test('the run ends while the database is away: release gives nothing back and returns', async (t) => {
  const { pool, sessions } = fakePool(Infinity);
  const first = new FakeSession();
  const lock = new HeldAdvisoryLock(pool, first as unknown as pg.PoolClient, 'schedule:x', 10, 60_000);
  first.emit('end');
  await new Promise((r) => setTimeout(r, 30));
  await lock.release();
  t.equal(sessions.length, 0, 'no session taken');
  t.notOk(
    first.queries.some((q) => /unlock/.test(q)),
    'no unlock on the dead session',
  );
});

t.test(
  'the store closes while the lock is taken again: nothing given back twice, the new session destroyed',
  async (t) => {
    let give: ((s: FakeSession) => void) | undefined;
    const pool = { connect: () => new Promise<FakeSession>((resolve) => (give = resolve)) };
    const first = new FakeSession();
    const lock = new HeldAdvisoryLock(pool as unknown as pg.Pool, first as unknown as pg.PoolClient, 'schedule:x', 10);
    first.emit('end'); // a restart cut the session: a new one is asked for, the database not answering yet
    await waitFor('a new session asked for', () => give !== undefined);
    t.ok(first.released instanceof Error, 'the dead session destroyed');
    t.doesNotThrow(() => lock.drop(), 'the store closes without giving the dead session back again');
    t.match(String(lock.signal.reason), /the store was closed with the run still going/);
    const second = new FakeSession();
    give!(second); // the database back: the new session takes the lock
    await waitFor('the new session given back', () => second.released !== undefined);
    t.ok(second.released instanceof Error, 'destroyed, its lock with it: no session left holding it for nobody');
    await lock.release();
    t.notOk(
      second.queries.some((q) => /unlock/.test(q)),
      'nothing more asked of it',
    );
  },
);

/** A session whose queued ask finds the lock held by `holders` the first `busy` times, then free. */
class BusyLockSession extends FakeSession {
  constructor(
    private readonly tries: { busy: number; holders: LockSession[] },
    private readonly own?: LockSession,
  ) {
    super();
  }
  private lockTimeoutMs = 0;
  override async query(sql: string): Promise<{ rows: Record<string, unknown>[] }> {
    this.queries.push(sql);
    if (/pg_locks/.test(sql)) return { rows: this.tries.holders.map((h) => ({ ...h })) };
    const timeout = /lock_timeout = (\d+)/.exec(sql);
    if (timeout) this.lockTimeoutMs = Number(timeout[1]);
    if (/pg_advisory_lock\(/.test(sql) && this.tries.busy > 0) {
      this.tries.busy--;
      // as PostgreSQL: queued behind the holder until lock_timeout, then refused
      await new Promise((resolve) => setTimeout(resolve, this.lockTimeoutMs));
      throw Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });
    }
    return { rows: [{ locked: true, ...this.own }] };
  }
}

function poolOf(tries: { busy: number; holders: LockSession[] }) {
  const sessions: BusyLockSession[] = [];
  const pool = {
    async connect() {
      const s = new BusyLockSession(tries, { pid: 900 + sessions.length, since: `t${sessions.length}` });
      sessions.push(s);
      return s;
    },
  };
  return { pool: pool as unknown as pg.Pool, sessions };
}

/** The lock held on a fake session of backend `old`, watched with the timings given. */
function heldOn(pool: pg.Pool, old: LockSession, retakeWithinMs: number) {
  const first = new BusyLockSession({ busy: 0, holders: [] });
  const lock = new HeldAdvisoryLock(pool, first as unknown as pg.PoolClient, 'schedule:x', 1_000, retakeWithinMs, old);
  return { first, lock };
}

const OLD: LockSession = { pid: 4242, since: '2026-12-06 11:00:00.123456+00' };

t.test('the cut session still holds the lock as its backend exits: asked again, the run goes on', async (t) => {
  // pg_terminate_backend: the client hears of the cut before the backend has let go of its locks
  const tries = { busy: 2, holders: [OLD] };
  const { pool, sessions } = poolOf(tries);
  const { first, lock } = heldOn(pool, OLD, 5_000);
  first.emit('error', new Error('terminating connection due to administrator command'));
  await waitFor('the lock taken on a third session', () => sessions.length === 3 && sessions[2].released === undefined);
  t.equal(tries.busy, 0, 'asked until the old session let go');
  t.match(
    sessions[0].queries,
    [/lock_timeout/, /pg_advisory_lock\(/, /ROLLBACK/, /pg_backend_pid/, /pg_locks/],
    'who holds it was asked',
  );
  t.notOk(lock.signal.aborted, 'the run was not stopped: nobody else holds the lock');
  // cut again: the session now holding it is the one to wait for, not the first
  tries.busy = 1;
  tries.holders = [OLD];
  sessions[2].emit('end');
  await waitFor('the run stopped', () => lock.signal.aborted);
  t.match(String(lock.signal.reason), /another instance holds it now/, 'the first backend is no longer ours');
  await lock.release();
});

t.test('the lock timeout fires just after the grant: the lock is held, not refused and pooled', async (t) => {
  // PostgreSQL can cancel a queued pg_advisory_lock for lock_timeout right after granting it: the
  // session lock outlives the ROLLBACK, and pg_locks names the asking session as its holder
  const tries = { busy: 1, holders: [{ pid: 900, since: 't0' }] };
  const { pool, sessions } = poolOf(tries);
  const { first, lock } = heldOn(pool, OLD, 5_000);
  first.emit('end');
  await waitFor('the retake settled', () => sessions[0]?.queries.some((q) => /pg_locks/.test(q)) ?? false);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.notOk(lock.signal.aborted, 'the run goes on: its own new session holds the lock');
  t.equal(sessions.length, 1, 'no other session asked');
  t.equal(sessions[0].released, undefined, 'the session holding it is kept, not given back to the pool');
  await lock.release();
});

t.test('another backend holds the lock after the cut: the run is stopped at once', async (t) => {
  const { pool, sessions } = poolOf({ busy: 1, holders: [{ pid: 5151, since: OLD.since }] });
  const { first, lock } = heldOn(pool, OLD, 5_000);
  first.emit('end');
  await waitFor('the run stopped', () => lock.signal.aborted);
  t.equal(sessions.length, 1, 'not asked again');
  t.match(String(lock.signal.reason), /another instance holds it now/);
  await lock.release();
});

t.test('after a restart another instance holds it on a backend with the old pid: stopped at once', async (t) => {
  // a container's fresh pid namespace hands the same low pids out again
  const { pool, sessions } = poolOf({ busy: 1, holders: [{ pid: OLD.pid, since: '2026-12-06 11:05:00.5+00' }] });
  const { first, lock } = heldOn(pool, OLD, 5_000);
  first.emit('end');
  await waitFor('the run stopped', () => lock.signal.aborted);
  t.equal(sessions.length, 1, 'not waited for as ours');
  t.match(String(lock.signal.reason), /another instance holds it now/);
  await lock.release();
});

t.test('the old session never lets go within the bound: the run is stopped naming it', async (t) => {
  const { pool, sessions } = poolOf({ busy: Infinity, holders: [OLD] });
  const { first, lock } = heldOn(pool, OLD, 400);
  first.emit('end');
  await waitFor('the run stopped', () => lock.signal.aborted);
  t.match(String(lock.signal.reason), /the old session still held it after 400 ms/);
  t.ok(sessions.length < 12, `asked less and less often (${sessions.length} asks in 400 ms)`);
  await lock.release();
});
