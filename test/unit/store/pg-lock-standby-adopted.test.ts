/**
 * A standby adopted as the run's holder (its holder's session was cut) is a client of its own,
 * outside the store's pool (pg-lock-standby.ts): the pool's clients keep an error listener for
 * life (hearEveryError), this one must too. Without it, its connection ending while the run's
 * release asks it to unlock (the holder's watch already off) was an 'error' event with no
 * listener: an uncaught exception, the whole mediator down. Its wait lasts the run whatever
 * lock_timeout or statement_timeout a DBA set for the role or database. Real PostgreSQL.
 */
import type pg from 'pg';
import pgLib from 'pg';
import t from 'tap';
import { PostgresStore } from '../../../src/store/postgres.js';
import { EventEmitter } from 'node:events';
import { HeldAdvisoryLock, TAKE_LOCK_SQL, lockHolders, lockSessionOf } from '../../../src/store/pg-held-lock.js';
import { engineCases } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

t.test(
  'PostgreSQL: an adopted standby whose connection ends during the release does not crash the process',
  { skip: postgres.skip },
  async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const watch = new pgLib.Client({ connectionString: db.databaseUrl });
    await watch.connect();
    t.teardown(() => watch.end());
    const pool = new pgLib.Pool({ connectionString: db.databaseUrl, max: 3 });
    pool.on('error', () => undefined);
    t.teardown(() => Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2_000))]));
    const holder = await pool.connect();
    holder.on('error', () => undefined); // as the store's pool does for its clients (hearEveryError)
    const session = lockSessionOf((await holder.query(TAKE_LOCK_SQL, ['schedule:z'])).rows[0])!;
    const lock = new HeldAdvisoryLock(pool, holder, 'schedule:z', 100, 5_000, session);
    await waitFor('the standby queued', () => lock.standbyQueued, 5_000);
    // the holder's session cut: its standby, granted the lock, holds it for the run from now on
    await watch.query('SELECT pg_terminate_backend($1)', [session.pid]);
    const current = () => (lock as unknown as { client?: pg.PoolClient }).client;
    await waitFor('the standby adopted', () => current() !== undefined && current() !== holder, 5_000);
    t.notOk(lock.signal.aborted, 'the run goes on');
    const adopted = current()!;
    const [{ pid }] = await lockHolders(watch, 'schedule:z');
    // the adopted session ends (a restart, an administrator) just as the run ends and gives it back
    const query = adopted.query.bind(adopted) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(adopted, {
      query: async (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : '';
        if (/pg_advisory_unlock/.test(text)) {
          await watch.query('SELECT pg_terminate_backend($1)', [pid]);
          const gone = async () =>
            (await watch.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0;
          await waitFor('the adopted backend gone', gone, 5_000);
          await new Promise((resolve) => setTimeout(resolve, 100)); // its end heard by the client
        }
        return query(...args);
      },
    });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    t.teardown(() => process.removeListener('uncaughtException', onUncaught));
    await lock.release().catch(() => undefined); // its unlock failed: the lock went with the session
    process.removeListener('uncaughtException', onUncaught);
    t.same(
      uncaught.map((e) => String(e)),
      [],
      'no uncaught error',
    );
    // its standby (granted as the adopted session ended) is closed too, as its end reaches the server
    const free = async () => (await lockHolders(watch, 'schedule:z')).length === 0;
    // a generous wait (a loaded host): a session left open would hold the lock for good
    await waitFor('the lock free', free, 30_000).catch(() => undefined);
    t.same(await lockHolders(watch, 'schedule:z'), [], 'the lock went with the sessions');
  },
);

t.test(
  "PostgreSQL: the standby's wait lasts the run under a database's lock_timeout and statement_timeout",
  { skip: postgres.skip },
  async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const watch = new pgLib.Client({ connectionString: db.databaseUrl });
    await watch.connect();
    t.teardown(() => watch.end());
    const { rows } = await watch.query('SELECT current_database() AS name');
    // a DBA's defaults for every session of the database (ALTER ROLE … SET does the same)
    await watch.query(`ALTER DATABASE "${rows[0].name}" SET lock_timeout = '200ms'`);
    await watch.query(`ALTER DATABASE "${rows[0].name}" SET statement_timeout = '300ms'`);
    const store = new PostgresStore(db.databaseUrl, 2);
    t.teardown(() => store.close());
    const waiting = async () =>
      (
        await watch.query(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
      ).rows.map((r) => Number(r.pid));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const run = store.withAdvisoryLock('schedule:t', () => finished);
    await waitFor('the standby queued', async () => (await waiting()).length === 1, 10_000);
    const [first] = await waiting();
    // past both timeouts several times over: the same standby still waits, never cancelled and replaced
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen.add(JSON.stringify(await waiting()));
    }
    t.same([...seen], [JSON.stringify([first])], 'one standby, waiting throughout');
    finish();
    t.same(await run, { ran: true, value: undefined });
    t.same(await waiting(), [], 'no standby left waiting');
  },
);

t.test(
  'PostgreSQL: a run ending while its standby waits for a lingering old session is released at once',
  { skip: postgres.skip },
  async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const connect = async () => {
      const c = new pgLib.Client({ connectionString: db.databaseUrl });
      await c.connect();
      t.teardown(() => c.end());
      return c;
    };
    // the cut session's backend, lingering (its client vanished unseen: the server holds on until TCP gives up)
    const dying = await connect();
    const old = lockSessionOf((await dying.query(TAKE_LOCK_SQL, ['schedule:l'])).rows[0])!;
    const watch = await connect();
    const pool = new pgLib.Pool({ connectionString: db.databaseUrl, max: 3 });
    t.teardown(() => Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2_000))]));
    // a live session until it ends: the lock's holder check (every 100 ms here) may ask it first on a
    // loaded host (CI: "client.query is not a function")
    const cut = Object.assign(new EventEmitter(), { release() {}, query: async () => ({ rows: [{ alive: 1 }] }) });
    // the lingering is waited for up to a minute (the production retake window)
    const lock = new HeldAdvisoryLock(pool, cut as unknown as pg.PoolClient, 'schedule:l', 100, 60_000, old);
    await waitFor('the standby queued', () => lock.standbyQueued, 5_000);
    // the retake under way, waiting for the old session to let go: it has asked who holds the lock
    // (lockHolders, on one of the pool's clients; the standby's connection is its own, not pooled)
    let asked = 0;
    pool.on('acquire', () => asked++);
    cut.emit('end');
    await waitFor('the retake asking who holds the lock', () => asked > 0, 30_000);
    let released = false;
    const releasing = lock.release().then(() => (released = true));
    // a generous wait (a loaded host), still half the retake window it must not wait for
    await waitFor('the release done', () => released, 30_000).catch(() => undefined);
    t.ok(released, 'the run ended: not held for the retake window (a minute) by a lock it no longer needs');
    t.same(await lockHolders(watch, 'schedule:l'), [old], 'only the lingering session holds it');
    const waiting = async () =>
      (
        await watch.query(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
      ).rowCount;
    await waitFor('no standby waiting', async () => (await waiting()) === 0, 30_000).catch(() => undefined);
    t.equal(await waiting(), 0, 'its standby left the queue');
    await dying.query('SELECT pg_advisory_unlock(hashtext($1))', ['schedule:l']);
    await releasing;
  },
);
