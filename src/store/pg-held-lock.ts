import type pg from 'pg';
import { isDatabaseAway } from './database-away.js';
import { queueStandby, type LockStandby } from './pg-lock-standby.js';

/** How often the lock's session is asked whether it still lives while nothing else is heard from it. */
export const LOCK_CHECK_MS = 1_000;

/**
 * How long the lock is asked for again, every `checkMs`, while the database is away (a restart,
 * a failover): a server back within this finds the run still going, not stopped for an outage
 * nobody else could use either. No instance can take the lock while the server is down, and the
 * run can write nothing meanwhile (its writes go to the same database).
 */
export const LOCK_RETAKE_WITHIN_MS = 60_000;

/**
 * How long the lock's session may leave its liveness check unanswered, and then how long the
 * lock may take to be taken again, before the run is stopped. A session gone silent (a network
 * cut, a server that stopped answering: nothing refused, nothing reset) was noticed only at the
 * pool's query_timeout (30 s), and then asked for again for up to LOCK_RETAKE_WITHIN_MS: meanwhile
 * the server, or the network, may have dropped the session and its lock, and another instance's
 * run of the job gone on beside this one's upstream calls. Unlike a refusal (a restart: nobody
 * can hold the lock), silence says nothing of who holds it, so the run stops within about twice
 * this, plus LOCK_CHECK_MS, and its tick is tried again as the database away.
 */
export const LOCK_SILENT_MS = 3_000;

/** Why a scheduled run was stopped: its lock's session died and another instance holds the lock now. */
export class AdvisoryLockLost extends Error {
  constructor(
    name: string,
    why: string,
    /** Lost because the database stayed away, not to another instance: nobody ran the rest. */
    readonly databaseAway = false,
  ) {
    super(`the lock ${name} was lost mid-run (${why}): the run was stopped so that two never overlap`);
    this.name = 'AdvisoryLockLost';
  }
}

/**
 * A session advisory lock held while a scheduled job runs. The lock lives as long as its session:
 * when PostgreSQL restarts or the connection is cut, the lock is gone on the server and another
 * instance's next tick takes it, while the holder, its connection idle, heard nothing and kept
 * running: two runs of one job at once. So the session is watched (its 'error'/'end' events, and
 * a `SELECT 1` every `checkMs` for a connection gone silent); when it dies the lock is taken again
 * at once on a new connection, and only if another instance got it first is `signal` aborted, so
 * the run stops before its next write. A database away (refusing connections while it restarts)
 * is asked again until `retakeWithinMs`; only a database still away then stops the run too.
 */
export class HeldAdvisoryLock {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private moving?: Promise<void>;
  private stopped = false;
  /** A liveness check unanswered yet: the next waits for it (a slow server is not asked again and again). */
  private probing = false;
  private readonly onGone = () => this.lost(this.client, 'its connection ended');
  /** The session holding the lock; undefined while it is taken again (the old one given back) or dropped. */
  private client: pg.PoolClient | undefined;
  /** A session of this instance queued for the lock behind `client`, granted it when that one is cut. */
  private standby: LockStandby | undefined;
  /** A standby being queued (release waits for it: queued after the unlock, it would hold the lock). */
  private queueing: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    client: pg.PoolClient,
    private readonly name: string,
    private readonly checkMs = LOCK_CHECK_MS,
    private readonly retakeWithinMs = LOCK_RETAKE_WITHIN_MS,
    /** The backend holding the lock (TAKE_LOCK_SQL's answer): told apart from another with its pid later. */
    private session?: LockSession,
    /** LOCK_SILENT_MS unless given (tests shorten it). */
    private readonly silentMs = LOCK_SILENT_MS,
  ) {
    this.client = client;
    this.listen(client);
    this.timer = setInterval(() => this.check(), checkMs);
    this.timer.unref();
    this.keepStandby();
  }

  /** Whether a session of this instance waits for the lock behind the holder's (tests). */
  get standbyQueued(): boolean {
    return this.standby !== undefined;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stop watching; unlock on the session holding the lock and give it back (destroyed if it failed). */
  async release(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    // a run stopped meanwhile (a silent session's deadline) does not wait for its retake, which can
    // hang on the silent server up to the connect or query timeout: it lets go of all it takes then
    await untilStopped(this.moving, this.controller.signal);
    await untilStopped(this.queueing, this.controller.signal);
    const standby = this.standby;
    this.standby = undefined;
    const client = this.client;
    // its client was destroyed when the lock was lost (or the store closed)
    if (this.controller.signal.aborted || !client) {
      if (standby) destroyStandby(standby);
      return;
    }
    this.unlisten(client);
    try {
      await client.query(UNLOCK_SQL, [this.name]);
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      if (standby) destroyStandby(standby);
      throw err;
    }
    // granted the lock the moment it was given back: given back in turn
    if (standby) await this.giveBackStandby(standby);
  }

  /**
   * The store closes while the run still holds the lock (a run the stop cut, held in an upstream
   * call): its session is destroyed, and the lock with it, rather than the close (pool.end, which
   * waits for every client given out) waiting for the run, up to the stop's limit. The run can
   * write nothing more (the pool is closed), so the lock guards nothing; its signal aborts.
   * While the lock is being taken again (its session cut) there is no session to give back (the
   * old one was, and giving it again throws in the pool): a session that takes it after this is
   * destroyed by lockOnNewSession, else its lock would be held by nobody's run until the pool's end.
   */
  drop(): void {
    if (this.stopped || this.controller.signal.aborted) return; // released, or its session lost already
    this.stopped = true;
    clearInterval(this.timer);
    this.stop('the store was closed with the run still going');
    const standby = this.standby;
    this.standby = undefined;
    if (standby) destroyStandby(standby); // on a connection of its own: closed with the store
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    this.unlisten(client);
    client.release(dropped());
  }

  private listen(client: pg.PoolClient): void {
    client.on('error', this.onGone);
    client.on('end', this.onGone);
  }

  private unlisten(client: pg.PoolClient): void {
    client.removeListener('error', this.onGone);
    client.removeListener('end', this.onGone);
  }

  /**
   * A standby queued, in the background, when there is none: on a connection of its own, never
   * one of the pool's (pg-lock-standby.ts); one that cannot be opened is asked for at the next check.
   */
  private keepStandby(): void {
    // not while a retake asks on new sessions: a standby granted meanwhile would read as another holder
    if (this.standby || this.queueing || this.moving || this.stopped || this.controller.signal.aborted) return;
    this.queueing = queueStandby(this.pool, this.name)
      .then(
        (standby) => {
          if (!standby) return;
          // dropped (the store closed) or stopped while it was opened: nobody would give it back
          // (release waits for it instead, and gives it back after the holder's unlock)
          if (this.controller.signal.aborted) return destroyStandby(standby);
          this.standby = standby;
          void standby.granted.then((session) => this.standbyGranted(standby, session));
        },
        () => undefined, // the database away: asked again at the next check
      )
      .finally(() => (this.queueing = undefined));
  }

  /**
   * The standby's wait ended: granted, the holder's session is gone (only release gives the lock
   * back, and it takes the standby first), so the standby holds the run's lock from now on.
   */
  private standbyGranted(standby: LockStandby, session: LockSession | undefined): void {
    if (this.standby !== standby) return; // taken by release or drop, which give it back
    this.standby = undefined;
    // a run stopped (its lock lost) holds nothing: kept, its release would give back neither the lock nor the connection
    if (!session || this.controller.signal.aborted) return destroyStandby(standby); // cut too: queued again at the next check
    const old = this.client;
    if (old) {
      this.unlisten(old);
      old.release(new Error('advisory lock session lost'));
    }
    standby.unwatch();
    this.client = standby.client;
    this.session = session;
    this.listen(standby.client);
    this.keepStandby();
  }

  /** After the unlock: the standby's wait ends (granted the lock just given back, or failed); unlocked, closed. */
  private async giveBackStandby(standby: LockStandby): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.checkMs)));
    const got = await Promise.race([standby.granted, late]);
    clearTimeout(timer);
    if (got === 'late') return destroyStandby(standby); // a silent connection: its lock goes with it
    try {
      if (got) await standby.client.query(UNLOCK_SQL, [this.name]);
      standby.unwatch();
      standby.client.release();
    } catch (err) {
      standby.unwatch();
      standby.client.release(err instanceof Error ? err : true);
    }
  }

  private check(): void {
    this.keepStandby();
    const client = this.client;
    if (!client || this.probing || this.stopped || this.moving || this.controller.signal.aborted) return;
    this.probing = true;
    answeredWithin(client.query('SELECT 1'), this.silentMs)
      .then(
        (answered) => answered || this.lost(client, `its session did not answer within ${this.silentMs} ms`, true),
        () => this.lost(client, 'its session stopped answering'),
      )
      .finally(() => (this.probing = false));
  }

  /** `silent`: its session went unanswered (not cut): the retake is bounded by silentMs, not retakeWithinMs. */
  private lost(client: pg.PoolClient | undefined, why: string, silent = false): void {
    if (!client || client !== this.client || this.moving || this.stopped || this.controller.signal.aborted) return;
    // silence says nothing of who holds the lock now: not taken again soon, the run stops as the database away
    const deadline = silent
      ? setTimeout(() => this.stop(`${why}; not taken again within ${this.silentMs} ms more`, true), this.silentMs)
      : undefined;
    this.moving = this.takeAgain(client, why).finally(() => {
      clearTimeout(deadline);
      this.moving = undefined;
      this.keepStandby(); // for the next cut
    });
  }

  /** The old session is destroyed (the server dropped its lock, or will); the lock asked for on a new one. */
  private async takeAgain(old: pg.PoolClient, why: string): Promise<void> {
    const oldSession = this.session;
    this.unlisten(old);
    this.client = undefined;
    old.release(new Error('advisory lock session lost'));
    if (this.queueing) await this.queueing; // a standby on its way is queued by now
    const standby = this.standby;
    // granted as the old backend lets go (standbyGranted); failed with it (a restart): asked again below
    if (standby && (await this.awaitStandby(standby, oldSession, why)) !== 'failed') return;
    const giveUpAt = Date.now() + this.retakeWithinMs;
    let leavingWaitMs = LEAVING_WAIT_MS;
    for (;;) {
      if (this.controller.signal.aborted) return; // stopped meanwhile (a silent session's deadline)
      let waitMs = this.checkMs;
      try {
        const taken = await this.lockOnNewSession(oldSession, leavingWaitMs);
        if (taken === 'held') return;
        if (taken === 'elsewhere') return this.stop(`${why}; another instance holds it now`);
        if (Date.now() + leavingWaitMs > giveUpAt)
          return this.stop(`${why}; the old session still held it after ${this.retakeWithinMs} ms`);
        // an exit takes milliseconds; a backend whose client vanished unseen (a NAT dropped it) can hold on
        // until TCP gives up: waited for longer and longer, up to checkMs (the ask itself waited)
        waitMs = 0;
        leavingWaitMs = Math.min(leavingWaitMs * 2, this.checkMs);
      } catch (err) {
        const away = isDatabaseAway(err);
        if (!away || Date.now() + this.checkMs > giveUpAt)
          return this.stop(
            `${why}; it could not be taken again${away ? `, the database away for ${this.retakeWithinMs} ms` : ''}`,
            away,
          );
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      // released meanwhile (the run ended): there is no lock to give back, and none to take
      if (this.stopped) return this.stop(`${why}; the run ended before it was taken again`);
    }
  }

  /**
   * The standby's grant waited for after a cut: 'held' once it holds the lock, 'stopped' when
   * another instance holds it (queued before the standby) or the old session still does after
   * retakeWithinMs, 'failed' when its wait ended without the lock (cut too).
   */
  private async awaitStandby(
    standby: LockStandby,
    old: LockSession | undefined,
    why: string,
  ): Promise<'held' | 'stopped' | 'failed'> {
    const giveUpAt = Date.now() + this.retakeWithinMs;
    let pauseMs = LEAVING_WAIT_MS;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise((resolve) => (timer = setTimeout(resolve, pauseMs)));
      await Promise.race([standby.granted, late]);
      clearTimeout(timer);
      if (this.client) return 'held';
      if (this.standby !== standby) return 'failed';
      // stopped meanwhile (a silent session's deadline): the standby leaves the queue
      if (this.controller.signal.aborted) return this.stopStandingBy(standby, why);
      // released meanwhile (the run ended): nothing to take, and release waits for this (as the retake's loop)
      if (this.stopped) return this.stopStandingBy(standby, `${why}; the run ended before it was taken again`);
      let away = false;
      const holders = await lockHolders(this.pool, this.name).catch((err: unknown) => {
        away = isDatabaseAway(err);
        return undefined;
      });
      if (this.client) return 'held';
      const others = holders?.filter((h) => !sameSession(h, standby.session) && !(old && sameSession(h, old)));
      if (others && others.length > 0) return this.stopStandingBy(standby, `${why}; another instance holds it now`);
      // nobody seen holding it, the database silent (its standby not cut): an outage, as the retake's
      // (the tick tried again once it is back), not a lingering old session
      if (Date.now() > giveUpAt && away)
        return this.stopStandingBy(
          standby,
          `${why}; it could not be taken again, the database away for ${this.retakeWithinMs} ms`,
          true,
        );
      if (Date.now() > giveUpAt)
        return this.stopStandingBy(standby, `${why}; the old session still held it after ${this.retakeWithinMs} ms`);
      pauseMs = Math.min(pauseMs * 2, this.checkMs);
    }
  }

  /**
   * The run stopped with its standby still queued: the standby leaves the queue (its connection
   * destroyed), else granted later, once the other holder lets go, it would hold the job's lock
   * for a run that no longer goes on, refusing every instance's next run.
   */
  private stopStandingBy(standby: LockStandby, why: string, databaseAway = false): 'stopped' {
    this.stop(why, databaseAway);
    if (this.standby === standby) {
      this.standby = undefined;
      destroyStandby(standby);
    }
    return 'stopped';
  }

  /**
   * The lock on a new session, queued for up to `waitMs` (takeLockQueued: granted as the old
   * backend lets go, before another instance's try-lock): 'held' when held there (that session
   * kept), 'elsewhere' when another instance has it, 'leaving' when the old session has it
   * still. A session cut by
   * pg_terminate_backend (or a restart's shutdown) closes its socket before its backend has
   * exited and let go of its locks: the client hears of the cut first, and asking at once finds
   * the lock held, by the dead session (3 % of 200 cuts on an idle host). That is no other
   * instance, and stopping the run for it stopped a run nobody else was running. The old backend
   * is known by its pid and its start: after a restart (a container's fresh pid namespace) another
   * instance's session can have the old pid, and must not be waited for as ours.
   */
  private async lockOnNewSession(
    old: LockSession | undefined,
    waitMs: number,
  ): Promise<'held' | 'elsewhere' | 'leaving'> {
    let next: pg.PoolClient | undefined;
    try {
      next = await this.pool.connect();
      const taken = await takeLockQueued(next, this.name, waitMs);
      if (!taken.locked) {
        const holders = await lockHolders(next, this.name);
        next.release();
        // nobody (let go since the try) or the old session only: ask again shortly
        const leaving = holders.length === 0 || (old !== undefined && holders.every((h) => sameSession(h, old)));
        return leaving ? 'leaving' : 'elsewhere';
      }
      this.session = taken.session;
      if (this.controller.signal.aborted) {
        next.release(dropped()); // the store closed meanwhile (drop): the lock goes with the session
        return 'held';
      }
      this.client = next;
      this.listen(next);
      return 'held';
    } catch (err) {
      next?.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  private stop(why: string, databaseAway = false): void {
    if (this.controller.signal.aborted) return; // the first reason stands
    this.controller.abort(new AdvisoryLockLost(this.name, why, databaseAway));
  }
}

/**
 * Whether `answer` settles within `ms` (true), or not (false); its rejection passes through. An
 * answer already in the socket when the time is up counts: after an event loop held up past `ms`
 * (a long synchronous stretch, a GC pause) timers run before the poll reads what arrived meanwhile,
 * so the verdict waits for that poll (setImmediate runs after it) rather than call a live session
 * silent and cut it.
 */
async function answeredWithin(answer: Promise<unknown>, ms: number): Promise<boolean> {
  let answered = false;
  const settled = answer.then(() => (answered = true));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => setImmediate(() => resolve(answered)), ms)));
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `work` waited for, unless `signal` aborts first (a stopped run's leftovers settle by themselves). */
async function untilStopped(work: Promise<void> | undefined, signal: AbortSignal): Promise<void> {
  if (!work || signal.aborted) return;
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<void>((resolve) => (onAbort = () => resolve()));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** How soon the lock is asked for again while the cut session's backend is still letting go of it. */
export const LEAVING_WAIT_MS = 25;

/** How many times a run's first ask is made while pg_locks names nobody holding the lock. */
const FREE_ASKS = 3;

/** What a session answers to the lock asked for: whether it got it, and who asked. */
export interface LockTake {
  locked: boolean;
  session?: LockSession;
}

/**
 * The lock asked for on `client` at the start of a run (a scheduled tick, `jobs run`): refused
 * at once while pg_locks names a holder, asked again when it names none (given back since the
 * ask). A holder is not waited for, even a session just cut whose backend is still letting go:
 * from here a dying backend looks as a live one (idle, same pid and start), and a run waiting
 * for it took the lock before the cut instance's own retake (97ee20e: that instance's live run
 * stopped in 35-82 % of cuts). That instance asks for it queued (HeldAdvisoryLock), so it wins.
 */
export async function takeLockUnlessHeld(client: Queryable, name: string): Promise<LockTake> {
  for (let ask = 1; ; ask++) {
    const { rows } = await client.query(TAKE_LOCK_SQL, [name]);
    if (rows[0].locked) return { locked: true, session: lockSessionOf(rows[0]) };
    if (ask >= FREE_ASKS || (await lockHolders(client, name)).length > 0) return { locked: false };
  }
}

/**
 * The lock asked for queued behind its holder for up to `waitMs`, not locked when still held
 * then. PostgreSQL grants a queued ask when the holder lets go, before any later
 * try-lock (another instance's tick): a try-lock loop of the cut instance lost that race.
 */
export async function takeLockQueued(client: Queryable, name: string, waitMs: number): Promise<LockTake> {
  // lock_timeout for this transaction only; the session-level lock outlives its COMMIT
  await client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.round(waitMs))}`);
  let rows: Record<string, unknown>[];
  try {
    ({ rows } = await client.query(QUEUED_LOCK_SQL, [name]));
  } catch (err) {
    if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
    await client.query('ROLLBACK');
    // the timer can fire just after the grant (between the grant and the waiter's timers off):
    // the lock is held here all the same (a session lock outlives the ROLLBACK), and taken for
    // refused it would stay with this session, pooled, holding the job for nobody
    const me = lockSessionOf((await client.query(OWN_SESSION_SQL)).rows[0]);
    const held = me !== undefined && (await lockHolders(client, name)).some((h) => sameSession(h, me));
    return held ? { locked: true, session: me } : { locked: false };
  }
  await client.query('COMMIT');
  return { locked: true, session: lockSessionOf(rows[0]) };
}

/** SQLSTATE of a lock not granted within lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';

/** Which backend this session is (as TAKE_LOCK_SQL names it). */
const OWN_SESSION_SQL = `SELECT pg_backend_pid() AS pid,
  (SELECT backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS since`;

/** The lock waited for, and which backend asked (as TAKE_LOCK_SQL). */
const QUEUED_LOCK_SQL = `SELECT pg_advisory_lock(hashtext($1)), pg_backend_pid() AS pid,
  (SELECT backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS since`;

/** What the lock functions need of a session: a pooled client or one of its own. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** A backend as PostgreSQL names it: its pid, and when it started (a pid can be another's after a restart). */
export interface LockSession {
  pid: number;
  since: string;
}

/** The lock asked for, and which backend asked (for telling its own cut session from another later). */
export const TAKE_LOCK_SQL = `SELECT pg_try_advisory_lock(hashtext($1)) AS locked, pg_backend_pid() AS pid,
  (SELECT backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS since`;

/** The session TAKE_LOCK_SQL's row names, when it said who asked. */
export function lockSessionOf(row: Record<string, unknown>): LockSession | undefined {
  return typeof row.since === 'string' ? { pid: Number(row.pid), since: row.since } : undefined;
}

export const sameSession = (a: LockSession, b: LockSession) => a.pid === b.pid && a.since === b.since;

/** The backends holding the session advisory lock `name` in this database, as pg_locks lists them. */
export async function lockHolders(client: Queryable, name: string): Promise<LockSession[]> {
  const { rows } = await client.query(
    `SELECT l.pid, a.backend_start::text AS since FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = ((hashtext($1)::bigint >> 32) & 4294967295)::oid
        AND l.objid = (hashtext($1)::bigint & 4294967295)::oid`,
    [name],
  );
  return rows.map((r) => ({ pid: Number(r.pid), since: String(r.since) }));
}

const UNLOCK_SQL = 'SELECT pg_advisory_unlock(hashtext($1))';

/** A standby not kept: its connection destroyed, and its wait (or lock) with its session. */
function destroyStandby(standby: LockStandby): void {
  standby.unwatch();
  standby.client.on('error', () => undefined); // its end may still report
  standby.client.release(new Error('advisory lock standby given up'));
}

/** Why a dropped lock's session was destroyed, not pooled (its lock goes with it). */
function dropped(): Error {
  return new Error('advisory lock dropped: the store closed');
}
