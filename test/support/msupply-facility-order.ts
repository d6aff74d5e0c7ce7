/**
 * An order a facility made and sent at its own Open mSupply site (not through the mediator): a
 * SENT request requisition of one line in the sandbox, from `store` to the store `supplier`,
 * with the warehouse's response the transfer processor makes from it.
 */
import type { MsupplyState } from '../../sandbox/msupply/state.js';
import type { Requisition } from '../../sandbox/msupply/model.js';

export function facilityOrder(
  state: MsupplyState,
  order: { id: string; store: string; supplier: string; number: string; itemId: string },
): { request: Requisition; response: Requisition } {
  const request: Requisition = {
    id: order.id,
    storeId: order.store,
    requisitionNumber: state.nextRequisitionNumber(order.store),
    type: 'REQUEST',
    status: 'SENT',
    otherPartyId: state.stores.get(order.supplier)!.nameId,
    theirReference: order.number,
    comment: null,
    maxMonthsOfStock: 3,
    minMonthsOfStock: 1,
    expectedDeliveryDate: null,
    createdDatetime: state.iso(),
    sentDatetime: state.iso(),
    finalisedDatetime: null,
    linkedRequisitionId: null,
    userId: 'user-facility',
  };
  state.requisitions.set(request.id, request);
  state.requisitionLines.set(`${request.id}-l1`, {
    id: `${request.id}-l1`,
    requisitionId: request.id,
    itemId: order.itemId,
    requestedQuantity: 300,
    suggestedQuantity: 0,
    supplyQuantity: 0,
    comment: null,
    linkedLineId: null,
  });
  return { request, response: state.transferRequest(request)! };
}
