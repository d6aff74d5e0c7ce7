import type pg from 'pg';
import { lockSessionOf, type LockSession } from './pg-held-lock.js';

/**
 * A second session of the instance holding a job lock, queued for that lock behind the holder's
 * own (a waiting pg_advisory_lock). When the holder's session is cut, PostgreSQL grants the lock
 * to the first waiter as the dying backend lets go, and refuses every try-lock while one waits:
 * another instance's tick cannot take it in between. Queued only after the cut (a new connection
 * opened first, ~10 ms), the retake lost that race in about 1 run in 60, and the live run was
 * stopped for another instance's. The holder (HeldAdvisoryLock) keeps one for as long as it runs.
 */
export interface LockStandby {
  client: pg.PoolClient;
  /** The standby's backend. */
  session: LockSession;
  /** Its session once granted the lock; undefined when its wait ended otherwise (cut, timed out). */
  granted: Promise<LockSession | undefined>;
  /** Its error listener off: the client is closed (release) or becomes the holder's. */
  unwatch(): void;
}

/** The setTimeout maximum: the wait lasts the run, not the pool's query timeout (see pg-migrations.ts). */
const WAIT_QUERY_TIMEOUT_MS = 2_147_483_647;

/**
 * A standby queued for `name` on a connection of its own, made as `pool` makes its clients (its
 * client class, server, timeouts, keep-alive) but never one of the pool's: a standby waits for
 * the whole run, and taken from the pool it left requests, the outbox and the runs' own writes
 * one connection fewer per running job (with 10 and three jobs running, 4 instead of 7).
 * Undefined when the connection cannot be opened (the database away: asked again later).
 */
export async function queueStandby(pool: pg.Pool, name: string): Promise<LockStandby | undefined> {
  const client = ownClientOf(pool);
  const ignore = () => undefined; // an error without a listener throws; its wait says it
  client.on('error', ignore);
  let session: LockSession | undefined;
  try {
    await client.connect();
    await client.query(NO_TIMEOUTS_SQL);
    // PostgreSQL 14+ on Linux, macOS, BSD; refused elsewhere, where a given-up wait stays queued until granted
    await client.query(CHECK_CLIENT_SQL).catch(() => undefined);
    session = lockSessionOf((await client.query(OWN_SESSION_SQL)).rows[0]);
  } catch {
    endQuietly(client);
    return undefined;
  }
  if (!session) {
    endQuietly(client);
    return undefined;
  }
  const granted = client
    .query({ text: WAIT_SQL, values: [name], query_timeout: WAIT_QUERY_TIMEOUT_MS } as pg.QueryConfig)
    .then(
      () => session,
      () => undefined,
    );
  // released as a pooled holder is (HeldAdvisoryLock adopts it when granted): closed, its locks with it
  const standbyClient = Object.assign(client, { release: () => endQuietly(client) }) as unknown as pg.PoolClient;
  return { client: standbyClient, session, granted, unwatch: () => client.removeListener('error', ignore) };
}

/** A client as `pool` would make it, outside the pool (pg-pool makes them `new Client(options)`). */
function ownClientOf(pool: pg.Pool): pg.Client {
  const { Client } = pool as unknown as { Client: new (options: unknown) => pg.Client };
  const client = new Client((pool as unknown as { options: unknown }).options);
  // for life, as the store's pool gives its clients (hearEveryError): adopted as the holder, its
  // watch is off while release unlocks; its connection ending then emitted an 'error' nobody
  // heard, an uncaught exception that ended the process (the failed unlock says it)
  client.on('error', () => undefined);
  return client;
}

/** Closed, whatever its connection says meanwhile: a session's locks and waits end with it. */
function endQuietly(client: pg.Client): void {
  client.on('error', () => undefined);
  client.end().catch(() => undefined);
}

/** Which backend this session is (as TAKE_LOCK_SQL names it). */
const OWN_SESSION_SQL = `SELECT pg_backend_pid() AS pid,
  (SELECT backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS since`;

/**
 * A DBA's lock_timeout or statement_timeout for the role or database (ALTER ROLE … SET) would
 * cancel the wait every few seconds, leaving the run without a standby until the next check and
 * opening a connection each time; this session is the standby's alone, never pooled.
 */
const NO_TIMEOUTS_SQL = 'SET lock_timeout = 0; SET statement_timeout = 0';

/**
 * A backend waiting for a lock never reads its socket: a standby given up (its connection closed)
 * stayed in the lock's queue, a server connection held, until granted the lock, perhaps an hour
 * later (another instance's run). Checked every second, it leaves the queue as its client goes.
 */
const CHECK_CLIENT_SQL = 'SET client_connection_check_interval = 1000';

/** The lock waited for without a time limit (NO_TIMEOUTS_SQL; the client's own timeout set to its maximum). */
const WAIT_SQL = 'SELECT pg_advisory_lock(hashtext($1))';
