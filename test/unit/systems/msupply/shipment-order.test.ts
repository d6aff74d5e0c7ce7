/**
 * The order an Open mSupply shipment fulfils, named as the orders flow reads it: the request's
 * lines (an inbound shipment's requisition; an outbound one's response made from it), or a
 * response made in the supplying store itself, under ids of its own; none without a requisition.
 */
import t from 'tap';
import { orderOfShipment } from '../../../../src/systems/msupply/shipment-order.js';
import type { ShipmentRequisition } from '../../../../src/systems/msupply/api.js';
import { orderLineId, REQUISITION_NUMBER_SYSTEM } from '../../../../src/systems/msupply/identifiers.js';
import { ORDER_TAG, responseLineId } from '../../../../src/systems/msupply/requisition-codec.js';

const product = { system: 'urn:gtin', code: '0123' };
const facility = { code: 'HC-NORTH' };
const warehouse = { code: 'WH-CENTRAL' };
const request: ShipmentRequisition = {
  id: 'req-1',
  type: 'REQUEST',
  requisitionNumber: 7,
  theirReference: null,
  comment: `${ORDER_TAG}urn:orders|ORD-1`,
};
const tagged = { system: 'urn:orders', value: 'ORD-1' };

t.test("an inbound shipment's request is the order, under its number", async (t) => {
  t.same(orderOfShipment(request, facility, warehouse, [product]), {
    orderNumber: tagged,
    lineIds: [orderLineId(tagged, product)],
    orderId: 'req-1',
  });
  const untagged = { ...request, comment: null };
  const number = { system: REQUISITION_NUMBER_SYSTEM, value: 'HC-NORTH-7' };
  t.same(orderOfShipment(untagged, facility, warehouse, [product])?.lineIds, [orderLineId(number, product)]);
});

t.test("an outbound shipment's response reads as the request it was made from", async (t) => {
  const response: ShipmentRequisition = {
    id: 'resp-1',
    type: 'RESPONSE',
    requisitionNumber: 3,
    theirReference: null,
    comment: null,
    linkedRequisition: { ...request, comment: null },
  };
  const number = { system: REQUISITION_NUMBER_SYSTEM, value: 'HC-NORTH-7' };
  t.same(
    orderOfShipment(response, warehouse, facility, [product]),
    { orderNumber: number, lineIds: [orderLineId(number, product)], orderId: 'req-1' },
    "the request's number in the facility's store",
  );
  const own = { ...response, linkedRequisition: null };
  t.same(
    orderOfShipment(own, warehouse, null, [product]),
    {
      orderNumber: { system: REQUISITION_NUMBER_SYSTEM, value: 'WH-CENTRAL-3' },
      lineIds: [responseLineId('resp-1', product)],
      orderId: 'resp-1',
    },
    'a response made in the warehouse itself: the order, lines of its own',
  );
});

t.test('a shipment made for no requisition names no order', async (t) => {
  t.equal(orderOfShipment(null, facility, warehouse, [product]), undefined);
});
