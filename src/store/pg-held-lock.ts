import type pg from 'pg';

/** How often the lock's session is asked whether it still lives while nothing else is heard from it. */
export const LOCK_CHECK_MS = 1_000;

/** Why a scheduled run was stopped: its lock's session died and another instance holds the lock now. */
export class AdvisoryLockLost extends Error {
  constructor(name: string, why: string) {
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
 * the run stops before its next write.
 */
export class HeldAdvisoryLock {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private moving?: Promise<void>;
  private stopped = false;
  private readonly onGone = () => this.lost(this.client, 'its connection ended');

  constructor(
    private readonly pool: pg.Pool,
    private client: pg.PoolClient,
    private readonly name: string,
    checkMs = LOCK_CHECK_MS,
  ) {
    this.listen(client);
    this.timer = setInterval(() => this.check(), checkMs);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stop watching; unlock on the session holding the lock and give it back (destroyed if it failed). */
  async release(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.moving;
    const client = this.client;
    this.unlisten(client);
    if (this.controller.signal.aborted) return; // its client was destroyed when the lock was lost
    try {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [this.name]);
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  private listen(client: pg.PoolClient): void {
    client.on('error', this.onGone);
    client.on('end', this.onGone);
  }

  private unlisten(client: pg.PoolClient): void {
    client.removeListener('error', this.onGone);
    client.removeListener('end', this.onGone);
  }

  private check(): void {
    if (this.stopped || this.moving || this.controller.signal.aborted) return;
    const client = this.client;
    client.query('SELECT 1').catch(() => this.lost(client, 'its session stopped answering'));
  }

  private lost(client: pg.PoolClient, why: string): void {
    if (client !== this.client || this.moving || this.stopped || this.controller.signal.aborted) return;
    this.moving = this.takeAgain(client, why).finally(() => (this.moving = undefined));
  }

  /** The old session is destroyed (the server dropped its lock, or will); the lock asked for on a new one. */
  private async takeAgain(old: pg.PoolClient, why: string): Promise<void> {
    this.unlisten(old);
    old.release(new Error('advisory lock session lost'));
    let next: pg.PoolClient | undefined;
    try {
      next = await this.pool.connect();
      const { rows } = await next.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.name]);
      if (rows[0].locked) {
        this.client = next;
        this.listen(next);
        return;
      }
      next.release();
      this.controller.abort(new AdvisoryLockLost(this.name, `${why}; another instance holds it now`));
    } catch (err) {
      next?.release(err instanceof Error ? err : true);
      this.controller.abort(new AdvisoryLockLost(this.name, `${why}; it could not be taken again`));
    }
  }
}
