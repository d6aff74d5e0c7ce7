import { MemoryJournal } from './memory-journal.js';

/**
 * A journal whose step `at` dies once, as the process would: before its action runs, or after it
 * ran and before it is recorded. The next run of the step (the retry) goes through.
 */
export class DyingJournal extends MemoryJournal {
  private died = false;
  constructor(
    private readonly at: string,
    private readonly when: 'before' | 'after' = 'before',
  ) {
    super('dying-key');
  }
  override async run<T>(step: string, action: () => Promise<T>): Promise<T> {
    if (step !== this.at || this.died) return super.run(step, action);
    this.died = true;
    if (this.when === 'after') await action();
    throw new Error(`process died ${this.when} ${step}`);
  }
}
