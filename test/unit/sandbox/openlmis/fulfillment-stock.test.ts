import t from 'tap';
import { fill, initiate, startHarness } from './helpers.js';

t.test('order → shipment → POD confirmed once → order RECEIVED, stock received in dispensing units', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.sb.close());
  const admin = await h.login();
  const created = await initiate(h, admin, 'LK-HC-101', 'FP01');
  await fill(h, admin, created.body, (i) => [170, 0, 150, 3][i]);
  for (const step of ['submit', 'authorize', 'approve'])
    t.equal((await h.call('POST', `/api/requisitions/${created.body.id}/${step}`, admin)).status, 200, step);
  const release = await h.call('POST', '/api/requisitions/batchReleases', admin, {
    createOrder: true,
    requisitionsToRelease: [{ requisitionId: created.body.id, supplyingDepotId: h.seed.facilities['LK-WH-301'] }],
  });
  t.equal(release.status, 201);
  t.equal(release.body.requisitionDtos[0].status, 'RELEASED');

  const orders = await h.call(
    'GET',
    `/api/orders?requestingFacilityId=${h.seed.facilities['LK-HC-101']}&status=ORDERED`,
    admin,
  );
  t.equal(orders.body.totalElements, 1);
  const order = (await h.call('GET', `/api/orders/${orders.body.content[0].id}`, admin)).body;
  t.equal(order.externalId, created.body.id);
  const packs = Object.fromEntries(order.orderLineItems.map((l: any) => [l.orderable.productCode, l.orderedQuantity]));
  // LNG30: 170/84 = 2 r 2 (≤ threshold 42) → 2; CNDM: 150/144 = 1 r 6 → 1; IMPL: 3/1 → 3; DMPA 0 is left out
  t.same(packs, { 'FP-LNG30': 2, 'FP-CNDM': 1, 'FP-IMPL': 3 }, 'approved dispensing units become packs');

  const { proofOfDeliveryId } = h.sb.state.shipOrder(order.id);
  t.equal((await h.call('GET', `/api/orders/${order.id}`, admin)).body.status, 'SHIPPED');
  const pod = (await h.call('GET', `/api/proofsOfDelivery/${proofOfDeliveryId}`, admin)).body;
  t.equal(pod.status, 'INITIATED');
  const reject = h.seed.reasons['Damaged on arrival'];
  for (const line of pod.lineItems) {
    const shipped = packs[Object.entries(h.seed.orderables).find(([, id]) => id === line.orderable.id)![0]];
    line.quantityAccepted = shipped;
    line.quantityRejected = 0;
  }
  pod.lineItems[0].quantityAccepted = 1;
  pod.lineItems[0].quantityRejected = 1;
  const confirm = {
    ...pod,
    status: 'CONFIRMED',
    receivedBy: 'Nurse Banda',
    deliveredBy: 'Driver',
    receivedDate: new Date().toISOString().slice(0, 10),
  };
  const noReason = await h.call('PUT', `/api/proofsOfDelivery/${pod.id}`, admin, confirm);
  t.equal(noReason.body.messageKey, 'fulfillment.error.proofOfDelivery.reason.missing');
  confirm.lineItems[0].rejectionReasonId = reject;
  const wrongSum = await h.call('PUT', `/api/proofsOfDelivery/${pod.id}`, admin, {
    ...confirm,
    lineItems: confirm.lineItems.map((l: any, i: number) =>
      i === 1 ? { ...l, quantityAccepted: l.quantityAccepted + 1 } : l,
    ),
  });
  t.equal(wrongSum.body.messageKey, 'fulfillment.error.proofOfDelivery.incorrectSumOfAcceptedAndRejected');
  const ok = await h.call('PUT', `/api/proofsOfDelivery/${pod.id}`, admin, confirm);
  t.equal(ok.status, 200);
  t.equal(ok.body.status, 'CONFIRMED');
  const twice = await h.call('PUT', `/api/proofsOfDelivery/${pod.id}`, admin, confirm);
  t.equal(twice.status, 400);
  t.same(twice.body, {
    messageKey: 'fulfillment.error.proofOfDelivery.alreadyConfirmed',
    message: 'Proof of Delivery already confirmed',
  });
  t.equal((await h.call('GET', `/api/orders/${order.id}`, admin)).body.status, 'RECEIVED');
  t.equal(h.sb.state.counts().stockEventsByKind.receive, 1, 'a receive event was posted');
  const summary = await h.call(
    'GET',
    `/api/v2/stockCardSummaries?programId=${h.seed.programs.FP01}&facilityId=${h.seed.facilities['LK-HC-101']}&orderableId=${h.seed.orderables['FP-LNG30']}`,
    h.seed.apiKey,
  );
  // opening 120 + lot 60, then 1 accepted pack × 84 received onto the no-lot card
  t.equal(summary.body.content[0].stockOnHand, 120 + 60 + 84);
});

t.test('stock events: inferred kinds, approved products, no negative stock', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.sb.close());
  const key = h.seed.apiKey;
  const facilityId = h.seed.facilities['LK-HC-101'];
  const programId = h.seed.programs.EM01;
  const today = new Date().toISOString().slice(0, 10);
  const post = (lineItems: unknown[]) =>
    h.call('POST', '/api/stockEvents', key, { facilityId, programId, signature: 't', documentNumber: 'D1', lineItems });
  const amx = h.seed.orderables['EM-AMX250'];

  const adj = await post([{ orderableId: amx, quantity: 30, occurredDate: today, reasonId: h.seed.reasons.Damage }]);
  t.equal(adj.status, 201);
  t.match(adj.body, /^[0-9a-f-]{36}$/, 'the event id as a JSON string');
  const tooMuch = await post([
    { orderableId: amx, quantity: 10000, occurredDate: today, reasonId: h.seed.reasons.Damage },
  ]);
  t.equal(tooMuch.status, 400);
  t.equal(tooMuch.body.messageKey, 'stockmanagement.error.event.debit.quantity.exceed.stockOnHand');
  t.match(tooMuch.body.message, /EM-AMX250 would make the stock on hand below zero \(770 subtract 10000\)/);
  const fp = await post([
    { orderableId: h.seed.orderables['FP-LNG30'], quantity: 1, occurredDate: today, reasonId: h.seed.reasons.Damage },
  ]);
  t.equal(
    fp.body.messageKey,
    'stockmanagement.error.event.orderable.not.in.approvedList',
    'an FP product is not approved under EM01',
  );
  const receive = await post([
    {
      orderableId: amx,
      quantity: 200,
      occurredDate: today,
      sourceId: h.seed.nodes['LK-WH-301'],
      reasonId: h.seed.reasons['Transfer In'],
    },
  ]);
  t.equal(receive.status, 201);
  const badSource = await post([
    {
      orderableId: amx,
      quantity: 1,
      occurredDate: today,
      sourceId: h.seed.nodes['LK-HC-104'],
      reasonId: h.seed.reasons['Transfer In'],
    },
  ]);
  t.equal(badSource.body.messageKey, 'stockmanagement.error.event.source.not.in.validList');
  const partialCount = await post([{ orderableId: amx, quantity: 900, occurredDate: today }]);
  t.equal(
    partialCount.body.messageKey,
    'stockmanagement.error.physicalInventory.lineItems.not.include.active.stockCard',
    'a count must cover every active card',
  );
  const count = await post([
    { orderableId: amx, quantity: 900, occurredDate: today },
    { orderableId: h.seed.orderables['EM-ORS'], quantity: 0, occurredDate: today },
  ]);
  t.equal(count.status, 201);
  t.same(h.sb.state.counts().stockEventsByKind, { physicalInventory: 5, adjustment: 1, receive: 1 });
  const pub = await h.call('GET', '/api/public/stockCardSummaries?facility=LK-HC-101&program=EM01', key);
  t.same(
    pub.body.content.map((c: any) => [c.orderable, c.totalStockOnHand]),
    [
      ['EM-AMX250', 900],
      ['EM-ORS', 0],
    ],
  );
  const publicEvent = await h.call('POST', '/api/public/stockEvents', key, {
    facility: 'LK-HC-101',
    program: 'EM01',
    signature: 's',
    documentNumber: 'P1',
    items: [{ orderable: 'EM-AMX250', quantity: 5, reason: 'Expired', occurredDate: today }],
  });
  t.equal(publicEvent.status, 201);
  const unknownReason = await h.call('POST', '/api/public/stockEvents', key, {
    facility: 'LK-HC-101',
    program: 'EM01',
    items: [{ orderable: 'EM-AMX250', quantity: 5, reason: 'Eaten', occurredDate: today }],
  });
  t.equal(unknownReason.body.messageKey, 'stockmanagement.error.reason.names.notFound');
});
