import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import type { Store } from '../../../../src/store/types.js';
import { newJob } from '../../../support/new-job.js';
import { failure, orsCount, type Rig } from './harness.js';

/**
 * The step journal as the release before 'counts' kept it in the store: no 'counts' step, and a
 * line step's record holds the line's id only. A retry on this release reads it through a plain
 * StoreStepJournal on the same store and job id.
 */
export class OldReleaseJournal implements StepJournal {
  readonly idempotencyKey: string;
  constructor(private readonly journal: StoreStepJournal) {
    this.idempotencyKey = journal.idempotencyKey;
  }
  run<T>(step: string, action: () => Promise<T>): Promise<T> {
    if (step === 'counts') return action();
    if (!step.startsWith('line:')) return this.journal.run(step, action);
    return this.journal.run(step, async () => {
      const { lineId } = (await action()) as { lineId: string };
      return { lineId } as T;
    });
  }
}

/** Count `id`'s job recorded in `store`, and the journal the release before 'counts' kept for it. */
export async function oldJob(store: Store, id: string): Promise<OldReleaseJournal> {
  await store.recordWrite(newJob(id, { flow: 'stock', system: 'msupply', idempotencyKey: `stock|${id}` }));
  return new OldReleaseJournal(new StoreStepJournal(store, { id }));
}

/** The earlier release's attempt of count `id` (orsCount) on `rig`: inserted, its finalise reset, not finalised. */
export async function stoppedBeforeFinalise(rig: Rig, store: Store, id: string): Promise<void> {
  rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'reset' }, times: 1 });
  await failure(rig.connector.stock!.report(orsCount(id), await oldJob(store, id)));
}
