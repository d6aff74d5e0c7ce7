import type { Delivery, ProductRef } from '../../domain/index.js';
import type { ShipmentRequisition, StoreRow } from './api.js';
import { orderLineId } from './identifiers.js';
import { orderNumberOf, responseLineId } from './requisition-codec.js';

/**
 * The order a shipment fulfils, as the orders flow reads it (requisition-codec.ts), so
 * SupplyDelivery.basedOn names its lines by the ids a SupplyRequest search gives them and a
 * `based-on` search finds the shipment by one. An inbound shipment's requisition is the receiving
 * store's request (the order); an outbound one's is the supplying store's response, which reads
 * as the request it was made from (its store is the shipment's other party's), or, made in the
 * supplying store itself, is the order under ids of its own. `store`: the shipment's store.
 * `products`: the products shipped (a line for each, as an OpenLMIS delivery names them).
 */
export function orderOfShipment(
  requisition: ShipmentRequisition | null,
  store: Pick<StoreRow, 'code'>,
  otherStore: Pick<StoreRow, 'code'> | null | undefined,
  products: ProductRef[],
): Delivery['basedOn'] | undefined {
  if (!requisition) return undefined;
  const linked = requisition.linkedRequisition;
  const request = requisition.type === 'RESPONSE' && linked?.type === 'REQUEST' && otherStore ? linked : undefined;
  if (request) return basedOnRequest(request, otherStore!, products);
  if (requisition.type === 'REQUEST') return basedOnRequest(requisition, store, products);
  if (requisition.type !== 'RESPONSE') return undefined;
  return {
    orderNumber: orderNumberOf(requisition, store),
    lineIds: products.map((p) => responseLineId(requisition.id, p)),
    orderId: requisition.id,
  };
}

function basedOnRequest(
  request: Omit<ShipmentRequisition, 'linkedRequisition'>,
  store: Pick<StoreRow, 'code'>,
  products: ProductRef[],
): Delivery['basedOn'] {
  const orderNumber = orderNumberOf(request, store);
  return { orderNumber, lineIds: products.map((p) => orderLineId(orderNumber, p)), orderId: request.id };
}
