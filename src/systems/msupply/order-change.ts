import { ConflictError } from '../../domain/errors.js';
import type { Order } from '../../domain/index.js';
import type { OrderCapability, StepJournal, WriteResult } from '../../routing/ports.js';
import type { RequisitionRow } from './api.js';
import { requisitionIdFor } from './identifiers.js';
import type { OrderDeps } from './orders.js';

/**
 * Changing or cancelling an order already written to Open mSupply (issue 16). A request
 * requisition is editable only while DRAFT: once SENT, every line and requisition mutation
 * answers CannotEditRequisition, and deleteRequestRequisition too (open-msupply
 * server/service/src/requisition/request_requisition/{update,delete}.rs: status must be Draft).
 * The mediator sends each order as soon as its lines are in, so a delivered order is SENT and a
 * change is refused naming that; a DRAFT (a write stopped before its send) is finished with the
 * changed lines, as the first write would have done.
 */
export function orderChanges(
  deps: OrderDeps,
  submit: OrderCapability['submit'],
): Pick<OrderCapability, 'amend' | 'cancel' | 'precheckChange'> {
  const held = async (order: Order): Promise<RequisitionRow> => {
    const store = await deps.stores.resolve(order.facility, 'Order.facility');
    const found = await deps.api.requisition(store.id, requisitionIdFor(order.orderNumber, store.id));
    if (!found)
      throw new ConflictError(
        `order ${order.orderNumber.value} has no request requisition in Open mSupply store ${store.code} to change`,
        409,
        ['SupplyRequest'],
      );
    return found;
  };
  const assertDraft = (r: RequisitionRow, order: Order, change: 'changed' | 'cancelled') => {
    if (r.status === 'DRAFT') return;
    throw new ConflictError(
      `order ${order.orderNumber.value} can no longer be ${change}: its request requisition ${r.id} is ${r.status} in Open mSupply, which lets a request requisition change or be deleted only while it is DRAFT (CannotEditRequisition)`,
      409,
      [change === 'cancelled' ? 'SupplyRequest.status' : 'SupplyRequest'],
    );
  };
  return {
    async amend(order: Order, journal: StepJournal): Promise<WriteResult> {
      assertDraft(await held(order), order, 'changed');
      return submit(order, journal);
    },
    async cancel(order: Order): Promise<WriteResult> {
      const r = await held(order);
      assertDraft(r, order, 'cancelled');
      // unreachable through the mediator while DRAFT means "its first write is still queued" (routing waits for it)
      throw new ConflictError(
        `order ${order.orderNumber.value}: its request requisition ${r.id} is still a DRAFT being written; cancel it once it is sent`,
        409,
        ['SupplyRequest.status'],
      );
    },
    async precheckChange(order: Order): Promise<void> {
      assertDraft(await held(order), order, order.status === 'cancelled' ? 'cancelled' : 'changed');
    },
  };
}
