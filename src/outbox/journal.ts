import type { OutboxJob, Store } from '../store/types.js';
import type { StepJournal } from '../routing/ports.js';

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

  /** `fresh`: the job was created just now, so it has no steps yet and loading them is a wasted round trip. */
  constructor(
    private readonly store: Store,
    private readonly job: Pick<OutboxJob, 'id'>,
    fresh = false,
  ) {
    this.idempotencyKey = job.id;
    if (fresh) this.completed = new Map();
  }

  async run<T>(step: string, action: () => Promise<T>): Promise<T> {
    const done = await this.load();
    if (done.has(step)) return done.get(step) as T;
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
