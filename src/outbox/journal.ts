import type { OutboxJob, Store } from '../store/types.js';
import type { StepJournal } from '../routing/ports.js';
import { AttemptTimeoutError } from './errors.js';

/**
 * The step journal of one outbox job, kept in the store. A step's result is written after the
 * step succeeds and before the next one starts, so after a crash (or a retry) the completed
 * steps replay from the journal and only the first unfinished step touches the upstream again.
 * When two attempts race (a stale one past its lease), the first recorded result wins and both
 * continue with it.
 */
export class StoreStepJournal implements StepJournal {
  readonly idempotencyKey: string;
  private completed?: Map<string, unknown>;

  /**
   * `fresh`: the job was created just now, so it has no steps yet and loading them is a wasted round trip.
   * `deadline`: when the attempt's time is up (epoch ms) and how long it was given. No step starts
   * after it, even when the attempt's timer has not fired yet: on a starved machine timers fire
   * late, and a step begun then could still be writing when the lease runs out and another
   * instance takes the job over. The clock is read at each step, so lateness cannot hide it.
   * `waitedOn`: the system the attempt waits on then, which its timeout names (AttemptTimeoutError):
   * the last-attempt hold asks that system's readiness, as for a timeout its timer raised.
   */
  constructor(
    private readonly store: Store,
    private readonly job: Pick<OutboxJob, 'id'>,
    fresh = false,
    private readonly deadline?: { at: number; timeoutMs: number; waitedOn?: () => string | undefined },
  ) {
    this.idempotencyKey = job.id;
    if (fresh) this.completed = new Map();
  }

  async run<T>(step: string, action: () => Promise<T>): Promise<T> {
    const done = await this.load();
    if (done.has(step)) return done.get(step) as T;
    if (this.deadline && Date.now() >= this.deadline.at)
      throw new AttemptTimeoutError(this.deadline.timeoutMs, this.deadline.waitedOn?.());
    const result = await action();
    const stored = await this.store.putStep(this.job.id, step, result, Date.now());
    done.set(step, stored);
    return stored as T;
  }

  /** Steps already recorded, for operators and tests. */
  async completedSteps(): Promise<string[]> {
    return [...(await this.load()).keys()];
  }

  private async load(): Promise<Map<string, unknown>> {
    if (!this.completed) {
      this.completed = new Map((await this.store.listSteps(this.job.id)).map((s) => [s.step, s.result]));
    }
    return this.completed;
  }
}
