/**
 * The mSupply sandbox's warehouse side over GraphQL, as the Open mSupply UI drives it: supply the
 * requested quantities, create the requisition's shipment (allocated from stock), move it
 * ALLOCATED → PICKED → SHIPPED (never back); shipping creates the facility's inbound shipment,
 * which the connector then reads as an in-progress delivery.
 */
import t from 'tap';
import { AMOXICILLIN, MemoryJournal, order, startRig } from '../../systems/msupply/harness.js';
import { mediatorGql } from './gql.js';

t.test('supply, create the shipment, allocate, pick, ship: the facility sees the inbound shipment', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await rig.connector.orders!.submit(order('SHIP-1', [{ gtin: AMOXICILLIN, qty: 300 }]), new MemoryJournal());
  const response = [...rig.sb.state.requisitions.values()].find((r) => r.type === 'RESPONSE')!;
  const gql = await mediatorGql(rig.sb.url);
  const store = 'store-wh-central';
  const create =
    'mutation c($storeId: String!, $id: String!) { createRequisitionShipment(storeId: $storeId, input: { responseRequisitionId: $id }) { __typename ... on InvoiceNode { id status lines { nodes { numberOfPacks batch } } } ... on CreateRequisitionShipmentError { error { __typename description } } } }';
  const move =
    'mutation m($storeId: String!, $id: String!, $status: UpdateOutboundShipmentStatusInput!) { updateOutboundShipment(storeId: $storeId, input: { id: $id, status: $status }) { __typename ... on InvoiceNode { id status } ... on UpdateOutboundShipmentError { error { __typename description } } } }';

  const early = await gql(create, { storeId: store, id: response.id });
  t.equal(
    early.data.createRequisitionShipment.error.__typename,
    'NothingRemainingToSupply',
    'nothing to ship before the supply quantities are set',
  );
  const supplied = await gql(
    'mutation s($storeId: String!, $id: String!) { supplyRequestedQuantity(storeId: $storeId, input: { responseRequisitionId: $id }) { __typename ... on RequisitionLineConnector { nodes { supplyQuantity } } } }',
    { storeId: store, id: response.id },
  );
  t.same(
    supplied.data.supplyRequestedQuantity.nodes.map((n: any) => n.supplyQuantity),
    [300],
  );

  const stock = () => rig.sb.state.stockLines.get('stock-wh-amx250t')!;
  const created = (await gql(create, { storeId: store, id: response.id })).data.createRequisitionShipment;
  t.equal(created.__typename, 'InvoiceNode');
  t.equal(created.status, 'NEW');
  t.same(
    created.lines.nodes,
    [{ numberOfPacks: 3, batch: 'B20260' }],
    '300 units in packs of 100, first-expiring batch',
  );
  t.same(
    [stock().availableNumberOfPacks, stock().totalNumberOfPacks],
    [497, 500],
    'allocation reserves; the stock is still there',
  );

  t.equal(
    (await gql(move, { storeId: store, id: created.id, status: 'PICKED' })).data.updateOutboundShipment.status,
    'PICKED',
  );
  t.equal(
    (await gql(move, { storeId: store, id: created.id, status: 'ALLOCATED' })).data.updateOutboundShipment.error
      .__typename,
    'CannotReverseInvoiceStatus',
  );
  t.equal(
    (await gql(move, { storeId: store, id: created.id, status: 'SHIPPED' })).data.updateOutboundShipment.status,
    'SHIPPED',
  );
  t.same([stock().availableNumberOfPacks, stock().totalNumberOfPacks], [497, 497], 'shipping takes the stock');
  t.equal(
    (await gql(move, { storeId: store, id: created.id, status: 'SHIPPED' })).data.updateOutboundShipment.error
      .__typename,
    'InvoiceIsNotEditable',
  );

  const deliveries = await rig.connector.deliveries!.search({ facility: 'store-hc-north', status: 'in-progress' });
  t.equal(deliveries.items.length, 1, "the transfer created the facility's inbound shipment");
  t.same(
    deliveries.items[0].lines.map((l) => [l.quantityShipped!.value, l.lot!.number]),
    [[3, 'B20260']],
  );
  t.equal(
    (await gql(create, { storeId: store, id: response.id })).data.createRequisitionShipment.error.__typename,
    'NothingRemainingToSupply',
    'everything supplied is on a shipment',
  );
});
