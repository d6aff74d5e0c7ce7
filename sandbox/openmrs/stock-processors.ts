/**
 * When a stock operation moves stock, per operation type, as the stock management module's
 * operation type processors do it (openmrs/openmrs-module-stockmanagement api/.../impl/
 * *OperationTypeProcessor.java, StockOperationTypeProcessorBase, and
 * StockManagementServiceImpl.processStockOperationAction):
 *
 * - An action that locks an operation (SUBMIT; DISPATCH or COMPLETE straight from NEW or RETURNED)
 *   first reserves it: one ReservedTransaction per line with the line's quantity, or for a stock
 *   take the difference from the unexpired balance (calculateStockIssueAdjustments). Then
 *   `onPending` copies the reservations into StockItemTransaction rows. So stock leaves the
 *   source at SUBMIT, not at approval.
 * - APPROVE, and COMPLETE of a dispatched operation, call `onCompleted`. For adjustments, stock
 *   takes and disposals it only clears the reservations. For receipts, initial stock and
 *   transfers it writes the stock coming in.
 * - RETURN, REJECT and CANCEL call `onCancelled`, which writes the reservations back reversed
 *   and clears them. A receipt or an initial stock has moved nothing yet, so it only clears.
 *
 * Each function gives the ledger rows to write: at the operation's source or destination, signed
 * (into the party positive).
 */
export interface Reserved<Line> {
  line: Line;
  /** The reservation's quantity: the line's, or a stock take's difference. */
  quantity: number;
}
export interface Movement<Line> {
  at: 'source' | 'destination';
  line: Line;
  quantity: number;
}
export interface Processor {
  pending<L>(reserved: Reserved<L>[]): Movement<L>[];
  completed<L>(reserved: Reserved<L>[]): Movement<L>[];
  cancelled<L>(reserved: Reserved<L>[]): Movement<L>[];
}

const none = (): [] => [];
const rows =
  (at: Movement<unknown>['at'], sign: 1 | -1) =>
  <L>(reserved: Reserved<L>[]): Movement<L>[] =>
    reserved.map((r) => ({ at, line: r.line, quantity: sign * r.quantity }));

/** Adjustment and stock take: the quantity (a difference) at the source at SUBMIT, undone on cancel. */
const adjusting: Processor = { pending: rows('source', 1), completed: none, cancelled: rows('source', -1) };
/** Disposed (an adjustment with negateAppliedQuantity): out of the source at SUBMIT, back on cancel. */
const disposing: Processor = { pending: rows('source', -1), completed: none, cancelled: rows('source', 1) };
/**
 * Transfer out, stock issue, return: out of the source at SUBMIT, into the destination on
 * completion (for an issue or a return, the quantity received, set to the quantity at DISPATCH by
 * resetDispatchedQuantities), back into the source on cancel.
 */
const moving: Processor = {
  pending: rows('source', -1),
  completed: rows('destination', 1),
  cancelled: rows('source', 1),
};
/** Receipt: nothing until approved, then into the destination. */
const receiving: Processor = { pending: none, completed: rows('destination', 1), cancelled: none };
/** Initial stock: nothing until approved, then into its (only) party, the source. */
const opening: Processor = { pending: none, completed: rows('source', 1), cancelled: none };
/** Requisition: its quantities are optional and reserve nothing; it never moves stock. */
const requesting: Processor = { pending: none, completed: none, cancelled: none };

export const PROCESSORS = {
  adjustment: adjusting,
  stocktake: adjusting,
  disposed: disposing,
  transferout: moving,
  stockissue: moving,
  return: moving,
  receipt: receiving,
  initial: opening,
  requisition: requesting,
} as const satisfies Record<string, Processor>;

/**
 * A stock take's reservations (calculateStockIssueAdjustments): the lines of one batch are one
 * group whose expected balance is the sum of their counts. The difference from the balance held
 * goes on the group's first line and the others reserve 0. The balance comes from the inventory
 * search's default filter, which leaves expired batches out.
 */
export function stockTakeReservations<L extends { stockItemUuid: string; batchNo: string | null; quantity: number }>(
  lines: L[],
  held: (line: L) => number,
): Reserved<L>[] {
  const groups = new Map<string, L[]>();
  for (const l of lines) {
    const key = `${l.stockItemUuid}|${l.batchNo ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const reserved: Reserved<L>[] = [];
  for (const group of groups.values()) {
    const expected = group.reduce((n, l) => n + l.quantity, 0);
    group.forEach((line, i) => reserved.push({ line, quantity: i === 0 ? expected - held(group[0]) : 0 }));
  }
  return reserved;
}
