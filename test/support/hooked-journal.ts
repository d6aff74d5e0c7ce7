import { MemoryJournal } from './memory-journal.js';

/**
 * A journal that lets something happen upstream just before a step's action runs (a storekeeper
 * acting by hand between the mediator's steps), or the attempt die there by throwing. A step
 * already recorded returns its result without the hook, as a retry would.
 */
export class HookedJournal extends MemoryJournal {
  constructor(private readonly before: (step: string) => void) {
    super();
  }
  override run<T>(step: string, action: () => Promise<T>): Promise<T> {
    return super.run(step, async () => {
      this.before(step);
      return action();
    });
  }
}
