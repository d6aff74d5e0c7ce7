import { ConflictError } from '../../domain/errors.js';
import type { MsupplyApi, RequisitionRow } from './api.js';
import { createdRequisition } from './created-requisition.js';
import { writeOrLanded } from './landed-meanwhile.js';

/**
 * One line of a requisition the mediator makes (a facility's request, orders.ts; a warehouse's
 * response, fulfilment.ts), as a journaled step: the item's line inserted unless there, then its
 * quantity set. Open mSupply keeps one line per item, so a line found is the one to set; an insert
 * or an edit refused because another attempt of the same job got there first (landed-meanwhile.ts)
 * ends as that attempt left it: the line there, or the requisition past editing (sent, finalised)
 * with this line's quantity (pastEditingAsThis).
 */
export interface LineWrites {
  kind: 'requisition' | 'response requisition';
  itemId: string;
  /** The id a new line gets (derived, so two attempts insert the same line). */
  newId: string;
  /** May lines still change in this status? */
  editable(status: RequisitionRow['status']): boolean;
  insert(lineId: string): Promise<unknown>;
  update(lineId: string): Promise<unknown>;
  /** The quantity `update` sets: a requisition past editing that holds it is this write done. */
  quantity: number;
  /** An insert refused for good, worded for the client (lineRefused). */
  refused(err: unknown): unknown;
}

type Settled = { lineId: string } | { skipped: string };

const lineOf = (r: RequisitionRow, itemId: string) => r.lines.nodes.find((l) => l.itemId === itemId)?.id;

/**
 * After a write refused because the requisition moved past editing: skipped if it holds this
 * line as this write sets it (another attempt of the same write got there first, and sends only
 * once its lines are set), else undefined, so the refusal stands: another write (an earlier
 * revision of the order, a user) sent or finalised it with other quantities, and this change is
 * not in Open mSupply.
 */
const pastEditingAsThis = (now: RequisitionRow, w: LineWrites): Settled | undefined =>
  !w.editable(now.status) && holdsThisLine(now, w) ? { skipped: now.status } : undefined;

/**
 * The requisition asks this line's quantity: its line says so, or, for a quantity of 0, it has no
 * line of the item (Open mSupply deletes the lines asking for 0 when it sends a request
 * requisition, request_requisition/update/generate.rs empty_lines_to_trim).
 */
function holdsThisLine(now: RequisitionRow, w: LineWrites): boolean {
  const line = now.lines.nodes.find((l) => l.itemId === w.itemId);
  return line ? line.requestedQuantity === w.quantity : w.quantity === 0;
}

/**
 * A requisition found past editing before this line was written, without this line as it sets
 * it: another write sent or finalised it (an attempt of this write sends only after its lines),
 * so this line can no longer go in. Said, not skipped: skipping reported the change applied.
 */
function sentWithOther(now: RequisitionRow, w: LineWrites): never {
  const there = now.lines.nodes.find((l) => l.itemId === w.itemId);
  throw new ConflictError(
    `${w.kind} ${now.id} is ${now.status} in Open mSupply ${there ? `asking ${there.requestedQuantity} of item ${there.item.code}` : `without item ${w.itemId}`}, not the ${w.quantity} this write sets; Open mSupply edits a ${w.kind} line no longer (CannotEditRequisition)`,
  );
}

export async function settleLine(
  api: MsupplyApi,
  storeId: string,
  requisitionId: string,
  w: LineWrites,
): Promise<Settled> {
  const reread = () => createdRequisition(api, storeId, requisitionId, w.kind);
  const current = await reread();
  if (!w.editable(current.status)) return pastEditingAsThis(current, w) ?? sentWithOther(current, w);
  const found = lineOf(current, w.itemId);
  const line: Settled = found
    ? { lineId: found }
    : await writeOrLanded<Settled>(
        async () => {
          await w.insert(w.newId);
          return { lineId: w.newId };
        },
        async () => {
          const now = await reread();
          if (!w.editable(now.status)) return pastEditingAsThis(now, w);
          const there = lineOf(now, w.itemId);
          return there ? { lineId: there } : undefined;
        },
        w.refused,
      );
  if (!('lineId' in line)) return line;
  return writeOrLanded<Settled>(
    async () => {
      await w.update(line.lineId);
      return line;
    },
    async () => pastEditingAsThis(await reread(), w),
  );
}
