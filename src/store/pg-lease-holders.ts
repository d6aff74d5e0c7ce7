import type pg from 'pg';
import { holderOf, type ReleasedLeases } from './lease-holders.js';
import { LEAVING_WAIT_MS } from './pg-held-lock.js';

/** The advisory key space of lease holders (first key of the two-key form): 'LEAS'. */
export const HOLDER_SPACE = 0x4c454153;

/** How often, at most, a holder whose lock session ended (a PostgreSQL restart, a cut connection) asks for it again. */
export const HOLDER_RETAKE_MS = 1_000;

const TRY_LOCK_SQL = 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS got';
const UNLOCK_SQL = 'SELECT pg_advisory_unlock($1, hashtext($2))';

/**
 * A lease whose attempt is over: by the holder's own timeout, stored with its lease
 * (attempt_ends_at before now, v61), and by this peer's settings (lease_until before the bound
 * given). The holder's end alone decides when instances' settings differ (a rolling settings
 * change: a peer with a wider margin took a live attempt for over); the peer's bound keeps a
 * lease without an end (set before v61), or with a stale one (set by an older instance), to the
 * judgement it had before. Never sooner than either.
 */
const ATTEMPT_OVER = (now: string, bound: string): string =>
  `lease_until >= ${now} AND lease_until < ${bound} AND (attempt_ends_at IS NULL OR attempt_ends_at < ${now})`;

/**
 * The owners of the leases still running (lease_until ≥ $1, server time) whose attempt is over
 * (ATTEMPT_OVER, the peer's bound $2): the only ones a free lock may end. The partial index of
 * waiting jobs holds them.
 */
const OVER_LEASE_OWNERS_SQL = `SELECT DISTINCT lease_owner FROM outbox_jobs
  WHERE status IN ('pending', 'in-flight') AND status = 'in-flight' AND lease_owner IS NOT NULL
    AND ${ATTEMPT_OVER('$1', '$2')}`;

/** Ends them for one holder (owners starting with $3, $2 characters long) at $1 - 1. */
const END_OVER_LEASES_SQL = `UPDATE outbox_jobs SET lease_until = $1 - 1
  WHERE status IN ('pending', 'in-flight') AND status = 'in-flight' AND left(lease_owner, $2) = $3
    AND ${ATTEMPT_OVER('$1', '$4')}`;

/**
 * Lease holders on PostgreSQL, as lease-holders.ts on SQLite: each outbox that takes leases holds
 * a session advisory lock keyed on its instance id, on a connection of its own (outside the pool,
 * which may close or replace its connections). The server drops the lock when that session ends,
 * however the process ends. A peer that can take the lock ends the holder's leases, so the next
 * claim takes its jobs over before the lease runs out.
 *
 * A free lock is not always a dead holder: PostgreSQL restarted or the holder's connection was cut,
 * and the holder, alive, still works upstream while it takes its lock again (at once, then after
 * pauses growing to HOLDER_RETAKE_MS). So a free lock ends only a lease whose attempt is over by its timeout
 * (the holder's outbox.attemptTimeoutMs from the lease's start, as outbox.ts guarantees, stored
 * with the lease: attempt-ends.ts): no two attempts of a
 * job ever run at once, however long the holder is away; what a holder back after that time
 * loses is the end of an attempt it had not recorded, which a lapsed lease would have cost too.
 */
export class PgLeaseHolders {
  private readonly held = new Map<string, HolderSession>();

  constructor(
    /** A new, unconnected client (the store's StoreClient with its socket options). */
    private readonly newClient: () => pg.Client,
    private readonly retakeMs = HOLDER_RETAKE_MS,
  ) {}

  /** Takes `holder`'s lock in the background, and again whenever its session ends, until close(). */
  hold(holder: string): void {
    if (this.held.has(holder)) return;
    const session = new HolderSession(holder, this.newClient, this.retakeMs);
    this.held.set(holder, session);
    session.take();
  }

  /** Whether `holder`'s lock is held by this process now (tests; the peer check skips its own anyway). */
  holds(holder: string): boolean {
    return this.held.get(holder)?.holding ?? false;
  }

  /**
   * Ends, at `now` (server time), the leases of holders whose lock is free and whose attempt is
   * over (lease_until before `attemptsOverBefore`); one pooled client for the checks, each lock
   * taken only while its holder's leases are ended, then given back.
   */
  async releaseEnded(pool: pg.Pool, now: number, attemptsOverBefore: number): Promise<ReleasedLeases[]> {
    const { rows } = await pool.query<{ lease_owner: string }>(OVER_LEASE_OWNERS_SQL, [now, attemptsOverBefore]);
    const holders = new Set(rows.map((r) => holderOf(r.lease_owner)).filter((h): h is string => h !== undefined));
    for (const own of this.held.keys()) holders.delete(own);
    if (holders.size === 0) return [];
    const released: ReleasedLeases[] = [];
    const client = await pool.connect();
    try {
      for (const holder of holders) {
        const { rows: got } = await client.query<{ got: boolean }>(TRY_LOCK_SQL, [HOLDER_SPACE, holder]);
        if (!got[0].got) continue; // its process runs
        try {
          const prefix = `${holder}:`;
          const ended = await client.query(END_OVER_LEASES_SQL, [now, prefix.length, prefix, attemptsOverBefore]);
          released.push({ holder, jobs: ended.rowCount ?? 0 });
        } finally {
          await client.query(UNLOCK_SQL, [HOLDER_SPACE, holder]);
        }
      }
    } catch (err) {
      client.release(err instanceof Error ? err : true); // destroyed: a lock taken goes with it
      throw err;
    }
    client.release();
    return released;
  }

  async close(): Promise<void> {
    const sessions = [...this.held.values()];
    this.held.clear();
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/**
 * One holder's lock on its own session, taken again whenever that session ends: at once, then
 * after pauses growing from LEAVING_WAIT_MS to retakeMs while it fails. Nobody else keeps this
 * lock (a peer only checks it for a moment), but a cut session's backend still holds it for a
 * moment after its client heard of the cut (pg-held-lock.ts): asked again only retakeMs later,
 * the lock stayed free that long after the dying backend let go, and a peer looking then ended
 * this live holder's leases.
 */
class HolderSession {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** The next pause after a failed ask; back to the shortest once the lock is held. */
  private pauseMs = LEAVING_WAIT_MS;

  constructor(
    private readonly holder: string,
    private readonly newClient: () => pg.Client,
    private readonly retakeMs: number,
  ) {}

  get holding(): boolean {
    return this.client !== undefined;
  }

  take(): void {
    void this.takeOnNewSession();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined); // the session's end gives the lock back
  }

  /** The lock on a new session; asked again later when the database is away or a peer holds it a moment. */
  private async takeOnNewSession(): Promise<void> {
    const client = this.newClient();
    client.on('error', () => undefined); // its end follows, and is what counts
    try {
      await client.connect();
      const { rows } = await client.query<{ got: boolean }>(TRY_LOCK_SQL, [HOLDER_SPACE, this.holder]);
      if (!rows[0].got) throw new Error('held by another session'); // a peer checking it, for a moment
    } catch {
      await client.end().catch(() => undefined);
      return this.later();
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.pauseMs = LEAVING_WAIT_MS;
    client.once('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      if (!this.closed) this.take();
    });
  }

  private later(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => this.take(), this.pauseMs);
    this.timer.unref();
    this.pauseMs = Math.min(this.pauseMs * 2, this.retakeMs);
  }
}
