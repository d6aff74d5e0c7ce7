import type { Propagation, Store } from '../../store/types.js';

/**
 * How a plan's write of a propagation row ended: written; `moved`, another write of the row
 * landed since the plan read it (a person's decision planned it, another instance, a delivery
 * settled it), so the plan is made again from fresh reads; `refused`, by the store's own guards
 * (a newer registry version kept, or this version's delivered outcome: PUT_PROPAGATION_SQL).
 */
export type PlanWrite = 'written' | 'moved' | 'refused';

/**
 * Plans of one row made again after their write met another (each retry reads afresh). Another
 * write lands between a plan's read and its write in milliseconds, rarely twice in a row; past
 * this many, the latest write of the row stands and a delivery retries later.
 */
export const REPLANS = 5;

/**
 * `row` written only over the row as the plan read it (`seen`, undefined when it read none): a
 * compare-and-set on the row's revision (store/propagation-revision.ts). Without it, a decision
 * landing between a plan's read of the links and its write was written over by the plan made
 * from the links before it.
 */
export async function writePlan(store: Store, row: Propagation, seen: Propagation | undefined): Promise<PlanWrite> {
  const revision = seen ? (seen.revision ?? 0) : null;
  if (await store.putPropagation(row, revision)) return 'written';
  const now = await store.getPropagation(row.registryId, row.system);
  return (now ? (now.revision ?? 0) : null) === revision ? 'refused' : 'moved';
}
