import type { Store } from '../store/types.js';
import type { OutboxLogger } from './types.js';

/**
 * How often a running worker looks again for holders that ended: a CLI (`outbox`, `jobs run`,
 * `bridge`) killed while the server runs leaves its jobs in flight too. A look is one read of the
 * waiting jobs' index and a lock try per other holder found, so cheap enough every few seconds.
 */
export const ENDED_HOLDERS_LOOK_MS = 5_000;

/**
 * This outbox as a lease holder the store can tell running from ended (SQLite:
 * store/lease-holders.ts; PostgreSQL: store/pg-lease-holders.ts), and the worker's release of the
 * leases a process that ended (kill -9, a power cut) left on jobs in flight: those jobs are tried
 * again at once, not after waiting out the lease (outbox.leaseMs, 120 s by default) as if their
 * attempt still ran. The worker looks as it starts and then every ENDED_HOLDERS_LOOK_MS.
 */
export class LeaseHolding {
  private marked = false;
  private nextLookAt = 0;
  private failed = false;

  constructor(
    private readonly store: Store,
    private readonly holder: string,
    private readonly logger: OutboxLogger,
    /** outbox.leaseMs and outbox.attemptTimeoutMs: when a lease's attempt is over (see releaseEndedLeases). */
    private readonly lease: { leaseMs: number; attemptTimeoutMs: number },
    private readonly lookEveryMs = ENDED_HOLDERS_LOOK_MS,
  ) {}

  /** Before this outbox's first lease: marks it running. Without the mark its leases only run out. */
  mark(): void {
    if (this.marked) return;
    this.marked = true;
    try {
      this.store.holdLeases?.(this.holder);
    } catch (err) {
      this.logger.warn(
        { err, holder: this.holder },
        'outbox: could not mark this process as holding leases; a job left in flight if it is killed waits out its lease',
      );
    }
  }

  /**
   * At the worker's first pass, then once every lookEveryMs (a store down is asked again at the
   * next pass); never fails the pass.
   * Safe beside other processes: only a holder whose lock is free, so whose process ended, loses
   * its leases.
   */
  async releaseEnded(now = Date.now()): Promise<void> {
    if (now < this.nextLookAt || !this.store.releaseEndedLeases) return;
    let ended;
    try {
      ended = await this.store.releaseEndedLeases(now, now + this.lease.leaseMs - this.lease.attemptTimeoutMs);
    } catch (err) {
      // the worker's pass goes on (the leases run out as before); the release is tried next pass
      if (!this.failed)
        this.logger.warn({ err }, 'outbox: could not release the leases of ended processes; trying again');
      this.failed = true;
      return;
    }
    this.failed = false;
    this.nextLookAt = now + this.lookEveryMs;
    for (const { holder, jobs } of ended)
      if (jobs > 0)
        this.logger.info(
          { previousHolder: holder, jobs },
          'outbox: jobs left in flight by a process that ended are tried again now, not when their lease runs out',
        );
  }
}
