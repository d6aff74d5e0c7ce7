import t from 'tap';
import { BusinessRuleError, ConflictError, type Delivery, type DeliveryLine } from '../../../../src/domain/index.js';
import { PROOF_OF_DELIVERY_SYSTEM, orderLineId } from '../../../../src/systems/openlmis/identifiers.js';
import { failure } from './client-harness.js';
import { shippedFiveLineOrder } from './deliveries-harness.js';
import { MemoryJournal, startFlowHarness, type FlowHarness } from './orders-harness.js';

/**
 * The delivery flow against the sandbox: a released and shipped order reads as an in-progress
 * Delivery; confirming it with one line short and one rejected puts exactly that on the POD and
 * the order becomes RECEIVED; a second confirmation is a 409 unless it is the same one again.
 */
function received(delivery: Delivery, h: FlowHarness): Delivery {
  const by = (code: string) => delivery.lines.find((l) => l.product.code === h.product(code).code)!;
  const keep = (code: string, patch: Partial<DeliveryLine>): DeliveryLine => ({
    product: by(code).product,
    lot: by(code).lot,
    ...patch,
  });
  return {
    identifier: delivery.identifier,
    status: 'completed',
    destination: delivery.destination,
    receivedBy: 'Nurse Banda',
    occurredAt: '2026-01-15',
    lines: [
      keep('EM-AMX250', { quantityAccepted: { value: 3, unit: 'pack' } }),
      keep('EM-PCM500', { quantityAccepted: { value: 2, unit: 'pack' } }),
      // short: 3 packs shipped (one fewer than ordered), 2 arrived, 1 lost in transit
      keep('EM-ORS', {
        quantityAccepted: { value: 2, unit: 'pack' },
        quantityRejected: { value: 1, unit: 'pack' },
        rejectionReason: 'Lost',
      }),
      // rejected: the whole line damaged
      keep('EM-ZNC20', {
        quantityAccepted: { value: 0, unit: 'pack' },
        quantityRejected: { value: 3, unit: 'pack' },
        rejectionReason: 'damaged on arrival',
      }),
      // counted in dispensing units by the client: 1000 tablets = 1 pack
      keep('EM-CTX480', { quantityAccepted: { value: 1000, unit: 'dispensing-unit' } }),
    ],
  };
}

function podQuantities(h: FlowHarness, podId: string) {
  const pod = h.sb.state.store.pods.get(podId)!;
  const reasonName = (id: string | null) => (id ? h.sb.state.store.seed.reasons.find((r) => r.id === id)!.name : null);
  return Object.fromEntries(
    pod.lineItems.map((l) => [
      h.sb.state.store.orderable(l.orderableId)!.productCode,
      [l.quantityAccepted, l.quantityRejected, reasonName(l.rejectionReasonId)],
    ]),
  );
}

const puts = (h: FlowHarness) =>
  h.calls.filter((c) => c.method === 'PUT' && c.path.startsWith('/api/proofsOfDelivery/')).length;

t.test('a shipped order reads as an in-progress delivery based on the order', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const s = await shippedFiveLineOrder(h);
  const { items } = await h.deliveries.search({ facility: h.seed.facilities['LK-HC-101'] });
  t.equal(items.length, 1);
  const d = items[0];
  t.equal(d.id, s.podId);
  t.same(d.identifier, { system: PROOF_OF_DELIVERY_SYSTEM, value: s.podId });
  t.equal(d.status, 'in-progress');
  t.same(d.basedOn?.orderNumber, s.order.orderNumber, 'based on the client order number kept on the requisition');
  t.same(
    new Set(d.basedOn?.lineIds),
    new Set(s.order.lines.map((l) => orderLineId(s.order.orderNumber, l.product))),
    'the SupplyRequest ids of the order lines',
  );
  t.equal(d.destination.identifier?.value, 'LK-HC-101');
  t.equal(d.supplier?.identifier?.value, 'LK-WH-301');
  t.same(
    d.lines.map((l) => l.quantityShipped?.unit),
    ['pack', 'pack', 'pack', 'pack', 'pack'],
  );
  const amox = d.lines.find((l) => l.product.code === h.product('EM-AMX250').code)!;
  t.same(amox.lot, { number: 'AMX-0915', expiry: '2027-09-15' });
  t.same(d.lines.find((l) => l.product.code === h.product('EM-ORS').code)!.quantityShipped, { value: 3, unit: 'pack' });
  t.notOk(
    d.lines.some((l) => l.quantityAccepted),
    'no accepted quantities before confirmation',
  );

  t.same(await h.deliveries.get(s.podId), d, 'get by POD id gives the same delivery');
  t.same(
    (await h.deliveries.search({ basedOn: s.order.orderNumber.value })).items.map((x) => x.id),
    [s.podId],
    'basedOn the order number',
  );
  t.same(
    (await h.deliveries.search({ basedOn: s.requisitionId })).items.map((x) => x.id),
    [s.podId],
    'basedOn the requisition id',
  );
  t.same((await h.deliveries.search({ facility: h.seed.facilities['LK-HC-101'], status: 'completed' })).items, []);
  t.same(
    (await h.deliveries.search({ facility: h.seed.facilities['LK-HC-102'] })).items,
    [],
    'another facility has none',
  );
});

t.test(
  'confirming with one line short and one rejected: the POD holds exactly that, the order is RECEIVED',
  async (t) => {
    const h = await startFlowHarness();
    t.teardown(h.close);
    const s = await shippedFiveLineOrder(h);
    const d = (await h.deliveries.get(s.podId))!;
    const journal = new MemoryJournal();
    const result = await h.deliveries.confirm(received(d, h), journal);
    t.same(result, { system: 'openlmis', ids: { proofOfDelivery: s.podId }, status: 'completed' });
    t.same(podQuantities(h, s.podId), {
      'EM-AMX250': [3, 0, null],
      'EM-PCM500': [2, 0, null],
      'EM-ORS': [2, 1, 'Lost'],
      'EM-ZNC20': [0, 3, 'Damaged on arrival'],
      'EM-CTX480': [1, 0, null],
    });
    const pod = h.sb.state.store.pods.get(s.podId)!;
    t.equal(pod.status, 'CONFIRMED');
    t.equal(pod.receivedBy, 'Nurse Banda');
    t.equal(pod.receivedDate, '2026-01-15');
    t.equal(pod.deliveredBy, 'Northern Regional Medical Store', 'deliveredBy defaults to the supplying facility');
    t.equal(h.sb.state.store.orders.get(s.orderId)!.status, 'RECEIVED');
    t.equal(puts(h), 1);

    const back = (await h.deliveries.get(s.podId))!;
    t.equal(back.status, 'completed');
    t.equal(back.receivedBy, 'Nurse Banda');
    const ors = back.lines.find((l) => l.product.code === h.product('EM-ORS').code)!;
    t.same(
      [ors.quantityAccepted, ors.quantityRejected, ors.rejectionReason],
      [{ value: 2, unit: 'pack' }, { value: 1, unit: 'pack' }, 'Lost'],
    );

    const again = await h.deliveries.confirm(received(d, h), new MemoryJournal());
    t.equal(again.status, 'completed', 'the identical confirmation again (a lost answer retried) succeeds');
    t.equal(puts(h), 1, '…without a second PUT');

    const other = received(d, h);
    other.lines[1] = {
      ...other.lines[1],
      quantityAccepted: { value: 1, unit: 'pack' },
      quantityRejected: { value: 1, unit: 'pack' },
      rejectionReason: 'Expired',
    };
    const err = await failure(h.deliveries.confirm(other, new MemoryJournal()));
    t.type(err, ConflictError);
    t.equal(err.status, 409);
    t.match(err.message, `proof of delivery ${s.podId} is already confirmed`);
    t.equal(puts(h), 1);
    t.same(podQuantities(h, s.podId)['EM-PCM500'], [2, 0, null], 'the POD is untouched');
  },
);

t.test('the upstream 400 alreadyConfirmed becomes a 409; a lost PUT answer resumes to success', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const s = await shippedFiveLineOrder(h);
  const d = (await h.deliveries.get(s.podId))!;
  h.sb.faults.add({
    method: 'PUT',
    path: '/api/proofsOfDelivery/*',
    times: 1,
    action: {
      type: 'status',
      status: 400,
      body: {
        messageKey: 'fulfillment.error.proofOfDelivery.alreadyConfirmed',
        message: 'Proof of Delivery already confirmed',
      },
    },
  });
  const err = await failure(h.deliveries.confirm(received(d, h), new MemoryJournal()));
  t.type(err, ConflictError);
  t.equal(err.status, 409);

  const journal = new MemoryJournal();
  h.crashAfter('PUT', /^\/api\/proofsOfDelivery\//);
  await failure(h.deliveries.confirm(received(d, h), journal));
  t.equal(h.sb.state.store.pods.get(s.podId)!.status, 'CONFIRMED', 'OpenLMIS confirmed it, the journal does not know');
  const result = await h.deliveries.confirm(received(d, h), journal);
  t.equal(result.status, 'completed');
  t.equal(puts(h), 2, 'the faulted PUT and the one that applied; the resume did not PUT');
});

t.test('the POD is found from the order number alone', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const s = await shippedFiveLineOrder(h);
  const d = (await h.deliveries.get(s.podId))!;
  const viaOrder = {
    ...received(d, h),
    identifier: { system: 'urn:example:delivery-note', value: 'DN-77' },
    basedOn: { orderNumber: s.order.orderNumber },
  };
  const result = await h.deliveries.confirm(viaOrder, new MemoryJournal());
  t.equal(result.ids.proofOfDelivery, s.podId);
  t.equal(h.sb.state.store.pods.get(s.podId)!.status, 'CONFIRMED');
});

t.test('bad confirmations are 422s naming the line, and write nothing', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const s = await shippedFiveLineOrder(h);
  const d = (await h.deliveries.get(s.podId))!;
  const missing = { ...received(d, h), lines: received(d, h).lines.slice(0, 3) };
  const e1 = await failure(h.deliveries.confirm(missing, new MemoryJournal()));
  t.type(e1, BusinessRuleError);
  t.match(e1.message, /EM-ZNC20, EM-CTX480/);

  const wrongSum = received(d, h);
  wrongSum.lines[2] = { ...wrongSum.lines[2], quantityRejected: { value: 2, unit: 'pack' } };
  const e2 = await failure(h.deliveries.confirm(wrongSum, new MemoryJournal()));
  t.match(e2.message, /accepted 2 \+ rejected 2 packs must equal the 3 packs shipped/);
  t.same(e2.issues[0].expression, ['Delivery.lines[2]']);

  const badReason = received(d, h);
  badReason.lines[3] = { ...badReason.lines[3], rejectionReason: 'Eaten by goats' };
  const e3 = await failure(h.deliveries.confirm(badReason, new MemoryJournal()));
  t.same(e3.issues[0].expression, ['Delivery.lines[3].rejectionReason']);
  t.match(e3.message, /Damaged on arrival/);

  const partialPack = received(d, h);
  partialPack.lines[4] = { ...partialPack.lines[4], quantityAccepted: { value: 999, unit: 'dispensing-unit' } };
  t.same((await failure(h.deliveries.confirm(partialPack, new MemoryJournal()))).issues[0].expression, [
    'Delivery.lines[4].quantityAccepted',
  ]);

  const wrongLot = received(d, h);
  wrongLot.lines[0] = { ...wrongLot.lines[0], lot: { number: 'NOPE-1' } };
  t.match(
    (await failure(h.deliveries.confirm(wrongLot, new MemoryJournal()))).message,
    /lot NOPE-1 is not in proof of delivery/,
  );

  const elsewhere = { ...received(d, h), destination: { identifier: h.facility('LK-HC-102').identifier } };
  t.same((await failure(h.deliveries.confirm(elsewhere, new MemoryJournal()))).issues[0].expression, [
    'Delivery.destination',
  ]);

  t.equal(puts(h), 0);
  t.equal(h.sb.state.store.pods.get(s.podId)!.status, 'INITIATED');
});
