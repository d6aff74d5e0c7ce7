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
  /** Its error listener off: the client goes back to the pool or becomes the holder's. */
  unwatch(): void;
}

/** The setTimeout maximum: the wait lasts the run, not the pool's query timeout (see pg-migrations.ts). */
const WAIT_QUERY_TIMEOUT_MS = 2_147_483_647;

/** Whether `pool` gives a connection at once: an idle one or room for a new one, nobody waiting. */
export function poolHasRoom(pool: pg.Pool): boolean {
  if (pool.waitingCount > 0) return false;
  return pool.idleCount > 0 || pool.totalCount < (pool.options?.max ?? 10);
}

/** A standby queued for `name` on a connection of `pool`; undefined when the pool has none to spare. */
export async function queueStandby(pool: pg.Pool, name: string): Promise<LockStandby | undefined> {
  if (!poolHasRoom(pool)) return undefined;
  const client = await pool.connect();
  const ignore = () => undefined; // a checked-out client's error without a listener throws; its wait says it
  client.on('error', ignore);
  let session: LockSession | undefined;
  try {
    session = lockSessionOf((await client.query(OWN_SESSION_SQL)).rows[0]);
  } catch (err) {
    client.removeListener('error', ignore);
    client.release(err instanceof Error ? err : true);
    return undefined;
  }
  if (!session) {
    client.removeListener('error', ignore);
    client.release();
    return undefined;
  }
  const granted = client
    .query({ text: WAIT_SQL, values: [name], query_timeout: WAIT_QUERY_TIMEOUT_MS } as pg.QueryConfig)
    .then(
      () => session,
      () => undefined,
    );
  return { client, session, granted, unwatch: () => client.removeListener('error', ignore) };
}

/** Which backend this session is (as TAKE_LOCK_SQL names it). */
const OWN_SESSION_SQL = `SELECT pg_backend_pid() AS pid,
  (SELECT backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS since`;

/** The lock waited for without a time limit (lock_timeout is 0 outside takeLockQueued's transaction). */
const WAIT_SQL = 'SELECT pg_advisory_lock(hashtext($1))';
