import type { Store } from '../store/types.js';
import type { OutboxLogger } from './types.js';

/**
 * This outbox as a lease holder the store can tell running from ended (SQLite:
 * store/lease-holders.ts), and the worker's release, at its start, of the leases a process that
 * ended (kill -9, a power cut) left on jobs in flight: those jobs are tried again at once, not
 * after waiting out the lease (outbox.leaseMs, 120 s by default) as if their attempt still ran.
 */
export class LeaseHolding {
  private marked = false;
  private released = false;
  private failed = false;

  constructor(
    private readonly store: Store,
    private readonly holder: string,
    private readonly logger: OutboxLogger,
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
   * Once per worker, until it has run (a store down at start is tried again at the next pass);
   * never fails the pass.
   * Safe beside other processes: only a holder whose lock is free, so whose process ended, loses
   * its leases.
   */
  async releaseEnded(): Promise<void> {
    if (this.released || !this.store.releaseEndedLeases) return;
    let ended;
    try {
      ended = await this.store.releaseEndedLeases(Date.now());
    } catch (err) {
      // the worker's pass goes on (the leases run out as before); the release is tried next pass
      if (!this.failed)
        this.logger.warn({ err }, 'outbox: could not release the leases of ended processes; trying again');
      this.failed = true;
      return;
    }
    this.released = true;
    for (const { holder, jobs } of ended)
      if (jobs > 0)
        this.logger.info(
          { previousHolder: holder, jobs },
          'outbox: jobs left in flight by a process that ended are tried again now, not when their lease runs out',
        );
  }
}
