import type { UnreadableReceipt } from '../systems/dhis2/receipts.js';
import type { SkippedRequisition } from '../systems/dhis2/requisitions.js';
import type { HeldRequisition } from './rts-to-msupply.js';

/** Held requisitions listed one per line; the rest only counted, so the run's record stays small. */
export const DETAIL_HELD_LINES = 20;

export interface RtsLeftBehind {
  held: HeldRequisition[];
  /** Completed events that are no order, and why (the facility puts them right in DHIS2). */
  skipped?: SkippedRequisition[];
  unreadStores: { store: string; reason: string }[];
  /** Why no shipment was consigned this run (no consignment program), when none was. */
  consignSkipped?: string;
  /** Consignments completed without saying what arrived: not written back until the facility puts them right. */
  unreadable?: UnreadableReceipt[];
  /** Writes to DHIS2 it refused this run (a consignment, a receipt): what, and DHIS2's reason in the operator's words. */
  rejected?: RejectedWrite[];
}

export interface RejectedWrite {
  /** e.g. `consignment of shipment S-1 at LK-HC-101`. */
  what: string;
  /** The outbox job, which the operator retries once the reason is fixed. */
  job: string;
  reason: string;
  /** Until when the bridge's next runs ask DHIS2 again by themselves (ISO), when they do. */
  askedAgainUntil?: string;
}

/**
 * What an RTS → mSupply run left behind, as the job run's detail (GET /admin/jobs, the console,
 * `jobs` CLI): each held requisition with its facility and why (no store rule covers it, a store
 * mSupply lacks …), each completed requisition event that is no order (skipped: a facility's typo,
 * an org unit without a code, an item the catalogue lacks) with why, each consignment completed
 * without saying what arrived, each supplying store whose shipments were not read, a consignment phase
 * that did not run, and each write DHIS2 refused (its org unit not the program's, outside the
 * user's capture org units, its sharing …) with its job, which the operator retries once that is
 * fixed, and for a consignment the bridge asks again itself, until when (rts-consign-reask.ts).
 * The counts say how many; an operator needs the why to fix routing.json, the store or DHIS2,
 * without re-running the bridge by hand. Undefined when nothing was left behind.
 */
export function rtsRunDetail(left: RtsLeftBehind): string | undefined {
  const lines = [
    ...left.held
      .slice(0, DETAIL_HELD_LINES)
      .map((h) => `held: requisition event ${h.event} of facility ${h.facility}: ${h.reason}`),
    ...(left.held.length > DETAIL_HELD_LINES
      ? [`held: ${left.held.length - DETAIL_HELD_LINES} more requisitions (the bridge CLI lists them all)`]
      : []),
    ...(left.skipped ?? [])
      .slice(0, DETAIL_HELD_LINES)
      .map((k) => `skipped: requisition event ${k.event} of facility ${k.facility}: ${k.reason}`),
    ...((left.skipped?.length ?? 0) > DETAIL_HELD_LINES
      ? [`skipped: ${left.skipped!.length - DETAIL_HELD_LINES} more requisitions (the bridge CLI lists them all)`]
      : []),
    ...left.unreadStores.map((u) => `not read: shipments of store ${u.store}: ${u.reason}`),
    ...(left.consignSkipped ? [`not consigned: ${left.consignSkipped}`] : []),
    ...(left.unreadable ?? [])
      .slice(0, DETAIL_HELD_LINES)
      .map((u) => `not received: consignment ${u.consignment} at ${u.facility}: ${u.reason}`),
    ...((left.unreadable?.length ?? 0) > DETAIL_HELD_LINES
      ? [
          `not received: ${left.unreadable!.length - DETAIL_HELD_LINES} more consignments (the bridge CLI lists them all)`,
        ]
      : []),
    ...(left.rejected ?? [])
      .slice(0, DETAIL_HELD_LINES)
      .map(
        (r) =>
          `rejected: ${r.what} (job ${r.job}): ${r.reason}` +
          (r.askedAgainUntil ? `; until ${r.askedAgainUntil} the next runs also send it again once fixed` : ''),
      ),
    ...((left.rejected?.length ?? 0) > DETAIL_HELD_LINES
      ? [`rejected: ${left.rejected!.length - DETAIL_HELD_LINES} more writes (the outbox lists them)`]
      : []),
  ];
  return lines.length ? lines.join('\n') : undefined;
}
