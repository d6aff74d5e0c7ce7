import type { Semaphore } from './semaphore.js';

/**
 * The delivery slot a running attempt holds (one of its system's `outbox.concurrency`). An attempt
 * that waits for another job to end (a facility for its parent's write, routing/linked-parent.ts)
 * sends its system nothing meanwhile, so it gives the slot up while it waits and takes it back
 * after: held, the slot would keep every other write to the system out for as long as the wait,
 * a write that has nothing to do with it included.
 */
export class AttemptSlot {
  private held = true;
  private ended = false;

  constructor(
    private readonly sem: Semaphore,
    /** Called when the slot is given up, so a worker that found no free slot looks again. */
    private readonly onFreed: () => void = () => undefined,
  ) {}

  /**
   * Runs `wait` without the slot, then takes it back, waiting at most `backWithinMs` for it (after
   * writes that queued for it meanwhile). False when it could not be had back in that time, or the
   * attempt ended meanwhile (abandoned at its timeout): the attempt must then send nothing more.
   */
  async without(wait: () => Promise<void>, backWithinMs: number): Promise<boolean> {
    if (!this.held || this.ended) return false;
    this.held = false;
    this.sem.release();
    this.onFreed();
    try {
      await wait();
    } finally {
      const back = await this.sem.acquire(Math.max(0, backWithinMs));
      if (back && this.ended) this.sem.release();
      else if (back) this.held = true;
    }
    return this.held;
  }

  /** The attempt is over: its slot goes back, unless it was given up and not taken back. */
  end(): void {
    this.ended = true;
    if (!this.held) return;
    this.held = false;
    this.sem.release();
  }
}
