import type { Identifier, Order, OrderLine, OrderPriority, OrderStatus } from '../../domain/index.js';
import type { RequisitionRow, StoreRow } from './api.js';
import { stableId } from '../../domain/ids.js';
import { MSUPPLY, REQUISITION_NUMBER_SYSTEM, orderLineId, otherPartyRef, storeRef } from './identifiers.js';
import type { MsupplyProductMap } from './products.js';
import { keptNumber } from '../barred-system.js';

/**
 * Open mSupply requisition ↔ domain Order, pure. Status map (RequisitionNodeStatus in the schema):
 * DRAFT/NEW → draft, SENT → active, FINALISED → completed. `theirReference` holds the order number
 * value; the number's system goes in the comment (ORDER_TAG) so a requisition read back names the
 * same order, and so do the client's authoredOn (AUTHORED_TAG) and priority (PRIORITY_TAG). Requisition quantities are in units (the client saves them "in units",
 * client/packages/requisitions/src/RequestRequisition/DetailView/RequestLineEdit in
 * msupply-foundation/open-msupply), so lines read back as dispensing units.
 */
export const ORDER_TAG = 'FHIR order ';

export function orderStatusOf(status: RequisitionRow['status']): OrderStatus {
  switch (status) {
    case 'DRAFT':
    case 'NEW':
      return 'draft';
    case 'SENT':
      return 'active';
    case 'FINALISED':
      return 'completed';
    default:
      return 'unknown';
  }
}

/**
 * When the client authored the order, on a line of its own in the same comment: Open mSupply sets
 * createdDatetime itself when the requisition is inserted (insertRequestRequisition takes no
 * creation date, server/graphql/requisition/src/mutations/request_requisition/insert.rs in
 * msupply-foundation/open-msupply), which is when the mediator delivered the order.
 */
export const AUTHORED_TAG = 'FHIR authoredOn ';

/**
 * The client's priority when it is not routine, on a line of its own in the same comment: a
 * request requisition has no priority (insertRequestRequisition takes none), and an urgent order
 * must not read back as routine.
 */
export const PRIORITY_TAG = 'FHIR priority ';
const PRIORITIES: readonly OrderPriority[] = ['routine', 'urgent', 'asap', 'stat'];

/** The comment that records which order a requisition is (and when the client authored it, and how urgent it is). */
export function orderComment(orderNumber: Identifier, authoredOn?: string, priority?: OrderPriority): string {
  return [
    `${ORDER_TAG}${orderNumber.system}|${orderNumber.value}`,
    ...(authoredOn ? [`${AUTHORED_TAG}${authoredOn}`] : []),
    ...(priority && priority !== 'routine' ? [`${PRIORITY_TAG}${priority}`] : []),
  ].join('\n');
}

/** The priority the mediator recorded in a requisition's comment, if it did. */
export function taggedPriority(comment: string | null | undefined): OrderPriority | undefined {
  const line = comment?.split('\n').find((l) => l.startsWith(PRIORITY_TAG));
  const value = line?.slice(PRIORITY_TAG.length).trim();
  return PRIORITIES.find((p) => p === value);
}

/** The authoredOn the mediator recorded in a requisition's comment, if it did. */
export function taggedAuthoredOn(comment: string | null | undefined): string | undefined {
  const line = comment?.split('\n').find((l) => l.startsWith(AUTHORED_TAG));
  return line?.slice(AUTHORED_TAG.length).trim() || undefined;
}

/** The order number a requisition carries: the tag in its comment, else its theirReference, else its own number. */
/**
 * The order number the mediator tagged a requisition's comment with, if it did: `system|value`
 * split at the first bar, as a system (a URI) holds none and an app's order number may
 * (`ORD|1`, split at the last, read back as another number of another system).
 */
export function taggedOrderNumber(comment: string | null | undefined): Identifier | undefined {
  const tagged = comment
    ?.split('\n')
    .find((l) => l.startsWith(ORDER_TAG))
    ?.slice(ORDER_TAG.length);
  return tagged ? keptNumber(tagged) : undefined;
}

export function orderNumberOf(
  r: Pick<RequisitionRow, 'comment' | 'theirReference' | 'requisitionNumber'>,
  store: Pick<StoreRow, 'code'>,
): Identifier {
  const tagged = taggedOrderNumber(r.comment);
  if (tagged) return tagged;
  if (r.theirReference) return { system: `${REQUISITION_NUMBER_SYSTEM}/their-reference`, value: r.theirReference };
  return { system: REQUISITION_NUMBER_SYSTEM, value: `${store.code}-${r.requisitionNumber}` };
}

/**
 * A REQUEST requisition is the facility's order (facility = its store, supplier = the other
 * party). A RESPONSE requisition the transfer processor made from a request (linkedRequisition,
 * read with it) is that same order as the supplier holds it: it reads as the request, under the
 * request's ids and with its content, so one order has one FHIR id (and one version) whichever
 * search finds it. A response made in the supplying store itself has no request: it is the order
 * (facility = the other party's store, supplier = its store), its lines with ids of their own.
 */
export function decodeRequisition(
  r: RequisitionRow,
  store: Pick<StoreRow, 'id' | 'code'>,
  products: MsupplyProductMap,
): Order {
  const request = requestOf(r);
  if (request) return decodeRequisition(request.row, request.store, products);
  const orderNumber = orderNumberOf(r, store);
  const here = storeRef(store);
  const other = otherPartyRef(r);
  const response = r.type === 'RESPONSE';
  const lineIdOf = (product: { system: string; code: string }) =>
    response ? responseLineId(r.id, product) : orderLineId(orderNumber, product);
  const lines: OrderLine[] = [];
  for (const l of r.lines.nodes) {
    // an item the catalogue does not map cannot be named on the FHIR side: it is left out, not invented
    const product = products.productOf(l.item.code, l.item.name);
    if (!product) continue;
    lines.push({
      lineId: lineIdOf(product),
      product,
      quantity: { value: l.requestedQuantity, unit: 'dispensing-unit' },
    });
  }
  return {
    id: r.id,
    orderNumber,
    status: orderStatusOf(r.status),
    priority: taggedPriority(r.comment) ?? 'routine',
    facility: response ? other : here,
    supplier: response ? here : other,
    // the client's, as kept in the comment; else when Open mSupply created the requisition
    authoredOn: taggedAuthoredOn(r.comment) ?? r.createdDatetime,
    ...(r.expectedDeliveryDate ? { neededBy: r.expectedDeliveryDate } : {}),
    lines,
    source: { system: MSUPPLY, id: r.id },
    lastUpdated: r.finalisedDatetime ?? r.sentDatetime ?? r.createdDatetime,
  };
}

/** The request a response requisition was made from, with the requesting store, when it was read with it. */
function requestOf(r: RequisitionRow): { row: RequisitionRow; store: Pick<StoreRow, 'id' | 'code'> } | undefined {
  const linked = r.linkedRequisition;
  // the requesting store is the response's other party (its name is that store's)
  const store = r.otherParty?.store;
  return r.type === 'RESPONSE' && linked?.type === 'REQUEST' && store ? { row: linked, store } : undefined;
}

/** The id a line of a response requisition with no request has (and one made from a request had before it read as that request). */
export function responseLineId(responseId: string, product: { system: string; code: string }): string {
  return stableId('SupplyRequest', MSUPPLY, 'response-requisition', responseId, product.system, product.code);
}

/**
 * The ids the lines of an order read from a response requisition made from a request were served
 * under before such a response read as its request (each line then had an id of the response's):
 * each to the line's id now, so a read by one of them is redirected (a client holding it keeps
 * one copy of the order).
 */
export function formerResponseLineIds(responseId: string, order: Order): Map<string, string> {
  if (order.id === responseId) return new Map();
  return new Map(
    order.lines.flatMap((l) => (l.lineId ? [[responseLineId(responseId, l.product), l.lineId] as const] : [])),
  );
}
