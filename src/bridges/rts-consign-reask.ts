import type { WriteOutcome } from '../outbox/types.js';
import type { OutboxJob } from '../store/types.js';
import { adminFixedRefusal } from '../systems/dhis2/tracker-refusals.js';

/**
 * A consignment (or an RTS receipt) DHIS2 refused for a reason its administrator fixes (the
 * program not assigned to the facility, the mediator user's org units or sharing, the item's
 * ownership: ADMIN_FIXED_REFUSALS) is asked again by the bridge's next runs, without an operator:
 * the mark of what it was read from is held at it, so the run re-reads it, and the outbox lets
 * the new write take over the refused one's key. The same whether DHIS2 refused it during the run
 * or later, to the outbox worker: a write the run left queued holds the mark too, until the run
 * that finds it delivered or refused. Bounded: for CONSIGN_REASK_MS after its first refusal
 * (a week of daily runs, `schedules.rtsToMsupply`), then only the operator's retry of the job the
 * run's detail names sends it. Never twice once accepted: the accepted job keeps the key (a
 * re-read is a duplicate, DHIS2 is not asked), and its events' UIDs are the shipment's, so even a
 * resend would update them. A refusal for the content (a value DHIS2 rejects) is not asked again:
 * the shipment does not change.
 */
export const CONSIGN_REASK_MS = 7 * 24 * 3_600_000;

/** What a run does with a shipment (or a receipt), given the jobs under its key (oldest first). */
export type ConsignPlan =
  | { kind: 'send' }
  /** Refused before, fixable, still in its window: sent again (the new job takes over the key). */
  | { kind: 'reask'; until: number }
  /** Refused before and not to be asked again by the bridge: its job is left to the operator. */
  | { kind: 'leave'; job: OutboxJob };

export function planConsignment(jobs: readonly OutboxJob[], now: number): ConsignPlan {
  const last = jobs.at(-1);
  if (!last || last.status !== 'rejected' || last.supersededBy) return { kind: 'send' };
  const until = reaskUntil(jobs[0].createdAt);
  if (!adminFixedRefusal(last.error?.issues ?? []) || now >= until) return { kind: 'leave', job: last };
  return { kind: 'reask', until };
}

/** The end of a refused consignment's window, counted from its key's first job. */
export const reaskUntil = (firstRefusedAt: number) => firstRefusedAt + CONSIGN_REASK_MS;

/** Whether a refusal this run is one the next runs ask again (an administrator's fix makes it pass). */
export const reaskable = (issues: readonly { diagnostics?: string }[]) => adminFixedRefusal(issues) !== undefined;

/** Whether the write's job still waits for the outbox worker, which DHIS2 may yet refuse. */
function waiting(outcome: WriteOutcome): boolean {
  const first = outcome.kind === 'duplicate' ? outcome.previous : outcome;
  return first.kind === 'queued' && (first.status === 'pending' || first.status === 'in-flight');
}

/**
 * Whether the next run reads this write's source again (its mark held at it), before `until`: DHIS2
 * refused it now for what its administrator fixes, or it is still queued, and may be refused so
 * after the run (the run that finds it refused then asks again, one that finds it done lets go).
 */
export function readAgain(outcome: WriteOutcome, until: number, now: number): boolean {
  if (now >= until) return false;
  return outcome.kind === 'rejected' ? reaskable(outcome.error.issues) : waiting(outcome);
}
