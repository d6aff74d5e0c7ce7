/**
 * SupplyDelivery ↔ Open mSupply inbound shipments against the sandbox: the warehouse ships a
 * response requisition, the facility reads the in-progress delivery (packs, batch, expiry) and
 * confirms it one line short; the inbound shipment holds exactly that and is RECEIVED; a second
 * confirmation is a 409; a confirmation cut short resumes without repeating a step.
 */
import t from 'tap';
import { ConflictError } from '../../../../src/domain/errors.js';
import type { Delivery } from '../../../../src/domain/index.js';
import { AMOXICILLIN, MemoryJournal, ORDER_SYSTEM, ORS, order, startRig, failure } from './harness.js';

async function shippedOrder(rig: Awaited<ReturnType<typeof startRig>>, number: string) {
  await rig.connector.orders!.submit(
    order(number, [
      { gtin: AMOXICILLIN, qty: 300 },
      { gtin: ORS, qty: 4, packs: true },
    ]),
    new MemoryJournal(),
  );
  const response = [...rig.sb.state.requisitions.values()].find(
    (r) => r.type === 'RESPONSE' && r.theirReference === number,
  )!;
  return rig.sb.state.shipResponseRequisition(response.id);
}

/** The delivery as a facility sends it back: completed, every line accepted as shipped unless `short`. */
function confirmation(d: Delivery, short: Record<string, number> = {}): Delivery {
  return {
    ...d,
    status: 'completed',
    lines: d.lines.map((l) => ({
      ...l,
      quantityAccepted: { value: short[l.product.code] ?? l.quantityShipped!.value, unit: 'pack' },
    })),
  };
}

t.test(
  'read the shipped delivery, confirm it one line short: the inbound shipment holds exactly that, RECEIVED',
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const { inbound } = await shippedOrder(rig, 'DLV-1');
    const found = await rig.connector.deliveries!.search({ facility: 'store-hc-north', status: 'in-progress' });
    t.same(
      found.items.map((d) => d.id),
      [inbound.id],
      'the inbound shipment reads as an in-progress delivery',
    );
    const d = found.items[0];
    t.same(d.basedOn?.orderNumber, { system: ORDER_SYSTEM, value: 'DLV-1' }, 'based on the order it fulfils');
    t.same(
      d.lines
        .map((l) => [l.product.code, l.quantityShipped!.value, l.quantityShipped!.unit, l.lot?.number, l.lot?.expiry])
        .sort(),
      [
        [AMOXICILLIN, 3, 'pack', 'B20260', '2028-06-30'],
        [ORS, 4, 'pack', 'B20262', '2028-06-30'],
      ],
      'packs, batches and expiry',
    );

    const result = await rig.connector.deliveries!.confirm(confirmation(d, { [ORS]: 3 }), new MemoryJournal());
    t.same(result, { system: 'msupply', ids: { shipment: inbound.id }, status: 'completed' });
    const stored = rig.sb.state.invoices.get(inbound.id)!;
    t.equal(stored.status, 'RECEIVED');
    const packs = rig.sb.state
      .invoiceLinesOf(inbound.id)
      .map((l) => [rig.sb.state.items.get(l.itemId)!.code, l.numberOfPacks])
      .sort();
    t.same(
      packs,
      [
        ['AMX250T', 3],
        ['ORS205S', 3],
      ],
      'one pack short on ORS, exactly as confirmed',
    );
    const north = [...rig.sb.state.stockLines.values()]
      .filter((s) => s.storeId === 'store-hc-north' && s.itemId === 'item-ors')
      .reduce((n, s) => n + s.totalNumberOfPacks, 0);
    t.equal(north, 10 + 3, "the received packs entered the store's stock");

    const read = await rig.connector.deliveries!.get(inbound.id);
    t.equal(read!.status, 'completed');
    t.same(read!.lines.map((l) => l.quantityAccepted?.value).sort(), [3, 3]);
    t.same(read!.lines.map((l) => l.lineId).sort(), d.lines.map((l) => l.lineId).sort(), 'the same line ids as before');

    const again = await failure(rig.connector.deliveries!.confirm(confirmation(d), new MemoryJournal()));
    t.ok(again instanceof ConflictError, 'a second confirmation is a 409');
    t.equal(again.status, 409);
    t.match(again.message, /already received \(RECEIVED\)/);
    t.same(
      rig.sb.state
        .invoiceLinesOf(inbound.id)
        .map((l) => l.numberOfPacks)
        .sort(),
      [3, 3],
      'and changes nothing',
    );
    t.ok(
      (await failure(rig.connector.deliveries!.precheck!(confirmation(d)))) instanceof ConflictError,
      'the precheck says so too',
    );
    // the same confirmation again (an app re-uploading after a lost answer): done, nothing written
    const same = confirmation(d, { [ORS]: 3 });
    await rig.connector.deliveries!.precheck!(same);
    t.pass('the precheck lets the same confirmation through');
    const repeat = await rig.connector.deliveries!.confirm(same, new MemoryJournal());
    t.same(repeat, { system: 'msupply', ids: { shipment: inbound.id }, status: 'completed' }, 'answered as done');
    t.same(
      rig.sb.state
        .invoiceLinesOf(inbound.id)
        .map((l) => l.numberOfPacks)
        .sort(),
      [3, 3],
      'still exactly what was received once',
    );
    t.equal(
      [...rig.sb.state.stockLines.values()]
        .filter((s) => s.storeId === 'store-hc-north' && s.itemId === 'item-ors')
        .reduce((n, s) => n + s.totalNumberOfPacks, 0),
      10 + 3,
      'no second receipt into stock',
    );
  },
);

t.test('a dropped and a lost status update: the retry with the same journal finishes, no step repeated', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound } = await shippedOrder(rig, 'DLV-2');
  const d = (await rig.connector.deliveries!.get(inbound.id))!;
  rig.sb.faults.add({ operation: 'updateInboundShipment', action: { type: 'reset' }, times: 1 }); // the DELIVERED update dies unanswered
  const journal = new MemoryJournal();
  await failure(rig.connector.deliveries!.confirm(confirmation(d, { [AMOXICILLIN]: 2 }), journal));
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'SHIPPED', 'the DELIVERED update was lost before applying');
  rig.sb.faults.clear();
  rig.sb.faults.add({ operation: 'updateInboundShipment', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
  await failure(rig.connector.deliveries!.confirm(confirmation(d, { [AMOXICILLIN]: 2 }), journal));
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'DELIVERED', 'applied, answer lost');
  await rig.connector.deliveries!.confirm(confirmation(d, { [AMOXICILLIN]: 2 }), journal);
  t.equal(
    rig.sb.state.invoices.get(inbound.id)!.status,
    'RECEIVED',
    'the retry did not stop at "already received": its own first check passed',
  );
  t.equal(
    rig.sb.state.applied.filter((a) => a.mutation === 'updateInboundShipmentLine').length,
    2,
    'each line set once',
  );
  t.same(
    rig.sb.state
      .invoiceLinesOf(inbound.id)
      .map((l) => l.numberOfPacks)
      .sort(),
    [2, 4],
  );
});

t.test('a line naming another item is refused before any write; units that are not whole packs are not', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound } = await shippedOrder(rig, 'DLV-3');
  const d = (await rig.connector.deliveries!.get(inbound.id))!;
  const units = {
    ...d,
    status: 'completed' as const,
    lines: [{ ...d.lines[0], quantityAccepted: { value: 150, unit: 'dispensing-unit' as const } }],
  };
  // Open mSupply takes broken packs (numberOfPacks is Float): 150 units of 100 a pack are 1.5
  await rig.connector.deliveries!.precheck!(units);
  const other = {
    ...d,
    status: 'completed' as const,
    lines: [{ ...d.lines[0], product: { system: 'https://www.gs1.org/gtin', code: '10860012300089' } }],
  };
  t.match(
    (await failure(rig.connector.deliveries!.precheck!(other))).message,
    /no line of shipment \d+ for item ZNC20T/,
  );
  t.equal(rig.sb.state.applied.filter((a) => a.mutation.includes('Inbound')).length, 0);
});

t.test(
  "the warehouse's outbound shipments read as deliveries when the supplier is named, a shipped one as its inbound shipment; they are not confirmed",
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const { outbound, inbound } = await shippedOrder(rig, 'DLV-4');
    const found = await rig.connector.deliveries!.search({ supplier: 'store-wh-central' });
    t.same(
      found.items.map((d) => d.id),
      [inbound.id],
      'only the outbound shipment, read as the inbound shipment made from it',
    );
    const d = found.items[0];
    // as the facility reads it: the warehouse is the other party of the inbound shipment, by name too
    t.same(d.supplier, {
      id: 'store-wh-central',
      identifier: { system: 'http://fhir-supply-mediator.org/fhir/identifier/msupply-store-code', value: 'WH-CENTRAL' },
      display: 'Central Medical Store',
    });
    t.equal(d.destination.id, 'store-hc-north', "the destination is the customer's store");
    t.equal(d.status, 'in-progress');
    t.same(
      (await rig.connector.deliveries!.search({ supplier: 'store-wh-central', facility: 'store-hc-south' })).items,
      [],
      'not shipped to another store',
    );
    t.equal((await rig.connector.deliveries!.get(outbound.id))!.id, inbound.id, 'by its id too, as the inbound one');
    t.same(
      [...rig.connector.deliveries!.formerIds!(outbound.id, d).entries()][0],
      [outbound.id, inbound.id],
      'its own id was the delivery served under before',
    );
    const err = await failure(
      rig.connector.deliveries!.precheck!({
        ...confirmation(d),
        identifier: { ...d.identifier, value: outbound.id },
        id: outbound.id,
      }),
    );
    t.match(err.message, /is the supplier's outbound shipment/);
    t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'SHIPPED', 'nothing received');
  },
);

t.test('with msupply.verifyDeliveries a confirmed shipment goes on to VERIFIED', async (t) => {
  const rig = await startRig({ 'msupply.verifyDeliveries': 'true' });
  t.teardown(() => rig.close());
  const { inbound } = await shippedOrder(rig, 'DLV-5');
  const d = (await rig.connector.deliveries!.get(inbound.id))!;
  const result = await rig.connector.deliveries!.confirm(confirmation(d), new MemoryJournal());
  t.equal(result.status, 'completed');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'VERIFIED');
  t.ok(rig.sb.state.invoices.get(inbound.id)!.receivedDatetime, 'received on the way');
});

t.test('the VERIFIED update applied but its answer lost: the retry finds it verified, no refusal', async (t) => {
  const rig = await startRig({ 'msupply.verifyDeliveries': 'true' });
  t.teardown(() => rig.close());
  const { inbound } = await shippedOrder(rig, 'DLV-6');
  const d = (await rig.connector.deliveries!.get(inbound.id))!;
  // DELIVERED and RECEIVED answered; the VERIFIED update applied, its answer lost
  rig.sb.faults.add({ operation: 'updateInboundShipment', action: { type: 'delay', ms: 0 }, times: 2 });
  rig.sb.faults.add({ operation: 'updateInboundShipment', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
  const journal = new MemoryJournal();
  const lost = await failure(rig.connector.deliveries!.confirm(confirmation(d), journal));
  t.equal(lost.transient, true, 'a lost answer is retried');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'VERIFIED', 'applied');
  const result = await rig.connector.deliveries!.confirm(confirmation(d), journal);
  t.equal(result.status, 'completed', 'the retry sees it verified instead of being refused (CannotEditInvoice)');
  t.equal(
    rig.sb.state.applied.filter((a) => a.mutation === 'updateInboundShipment').length,
    3,
    'DELIVERED, RECEIVED, VERIFIED: each once',
  );
});

t.test('two lines confirming one shipment line are refused at the second; nothing is written', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound } = await shippedOrder(rig, 'DLV-7');
  const d = (await rig.connector.deliveries!.get(inbound.id))!;
  const amox = d.lines.find((l) => l.product.code === AMOXICILLIN)!;
  const twice = confirmation({ ...d, lines: [...d.lines, { ...amox }] }, {});
  twice.lines[2] = { ...twice.lines[2], quantityAccepted: { value: 1, unit: 'pack' } };
  const writes = rig.sb.state.applied.length;
  const err = await failure(rig.connector.deliveries!.confirm(twice, new MemoryJournal()));
  t.equal(err.status, 422, err.message);
  t.same(err.issues[0].expression, ['Delivery.lines[2].product']);
  t.match(err.message, /same line of shipment .* as Delivery\.lines\[0\]/);
  t.equal(rig.sb.state.applied.length, writes, 'nothing written');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'SHIPPED');
});

t.test('a shipment deleted in Open mSupply while it is confirmed: refused for good, not a bug of ours', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound } = await shippedOrder(rig, 'DLV-8');
  const d = (await rig.connector.deliveries!.get(inbound.id))!;
  // a store user deletes the shipment once its last line is set, before the RECEIVED step reads it
  const applied = rig.sb.state.applied;
  const record = applied.push.bind(applied);
  let lines = 0;
  applied.push = (...items) => {
    const n = record(...items);
    if (items.some((a) => a.mutation === 'updateInboundShipmentLine') && ++lines === d.lines.length)
      setImmediate(() => rig.sb.state.invoices.delete(inbound.id)); // once this mutation has answered
    return n;
  };
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(d), new MemoryJournal()));
  t.notOk(err instanceof TypeError, `not a TypeError: ${err.message}`);
  t.equal(err.status, 422, 'a permanent refusal (business rule), never retried as transient');
  t.same(err.issues[0].expression, ['Delivery.identifier']);
  t.match(err.message, /shipment \d+ is no longer in Open mSupply store .*: it was deleted there/);
});
