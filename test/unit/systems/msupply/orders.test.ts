/**
 * SupplyRequest → Open mSupply request requisition against the sandbox (executing the real
 * schema): lines by item in units, SENT, the supplier's response requisition created by the
 * transfer processor; reads give the same order back; a retry, a lost insert answer, a token
 * expiry mid-flow and a crash between insert and SENT each end with exactly one requisition.
 */
import t from 'tap';
import { BusinessRuleError, isUnknownUpstreamOutcome } from '../../../../src/domain/errors.js';
import { AMOXICILLIN, MemoryJournal, ORDER_SYSTEM, ORS, PARACETAMOL, order, startRig, failure } from './harness.js';

const requests = (rig: Awaited<ReturnType<typeof startRig>>) =>
  [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');

t.test('an order becomes one SENT request requisition with its lines in units, and reads back the same', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const o = order('ORD-1', [
    { gtin: AMOXICILLIN, qty: 3, packs: true },
    { gtin: PARACETAMOL, qty: 500 },
  ]);
  const result = await rig.connector.orders!.submit(o, new MemoryJournal());
  t.equal(result.system, 'msupply');
  t.equal(result.status, 'active');
  const [req] = requests(rig);
  t.equal(requests(rig).length, 1);
  t.equal(result.ids.requisition, req.id);
  t.equal(req.status, 'SENT');
  t.equal(req.storeId, 'store-hc-north');
  t.equal(req.otherPartyId, 'name-wh-central', 'to the supplier of msupply.supplierCode');
  t.equal(req.theirReference, 'ORD-1', 'theirReference carries the order number');
  const lines = rig.sb.state
    .linesOf(req.id)
    .map((l) => [rig.sb.state.items.get(l.itemId)!.code, l.requestedQuantity])
    .sort();
  t.same(
    lines,
    [
      ['AMX250T', 300],
      ['PCM500T', 500],
    ],
    '3 packs of 100 → 300 units; 500 units as sent',
  );
  const response = [...rig.sb.state.requisitions.values()].find((r) => r.type === 'RESPONSE');
  t.ok(response, "the warehouse's response requisition appeared");
  t.equal(response!.storeId, 'store-wh-central');
  t.equal(response!.linkedRequisitionId, req.id);

  const read = await rig.connector.orders!.get(req.id);
  t.equal(read!.orderNumber.system, ORDER_SYSTEM, 'the order number system comes back from the comment tag');
  t.equal(read!.orderNumber.value, 'ORD-1');
  t.equal(read!.status, 'active');
  t.same(read!.facility, {
    id: 'store-hc-north',
    identifier: { system: 'http://fhir-supply-mediator.org/fhir/identifier/msupply-store-code', value: 'HC-NORTH' },
  });
  t.same(read!.lines.map((l) => [l.product.code, l.quantity.value, l.quantity.unit]).sort(), [
    [AMOXICILLIN, 300, 'dispensing-unit'],
    [PARACETAMOL, 500, 'dispensing-unit'],
  ]);
  const found = await rig.connector.orders!.search({ identifier: { system: ORDER_SYSTEM, value: 'ORD-1' } });
  t.same(
    found.items.map((x) => x.id),
    [req.id],
    'search by order number finds it',
  );
  t.same((await rig.connector.orders!.search({ facility: 'store-hc-south' })).items, [], 'not in another store');
  t.equal(await rig.connector.orders!.get('no-such-requisition'), undefined);
});

t.test('a retry with a fresh journal finds the requisition: nothing is inserted twice', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const o = order('ORD-2', [{ gtin: ORS, qty: 2, packs: true }]);
  const first = await rig.connector.orders!.submit(o, new MemoryJournal());
  const inserts = rig.sb.state.applied.filter((a) => a.mutation.startsWith('insert')).length;
  const second = await rig.connector.orders!.submit(o, new MemoryJournal());
  t.same(second.ids, first.ids, 'the same requisition');
  t.equal(
    rig.sb.state.applied.filter((a) => a.mutation.startsWith('insert')).length,
    inserts,
    'no insert on the retry',
  );
  t.equal(requests(rig).length, 1);
  t.equal(rig.sb.state.counts().responseRequisitions, 1, 'and one response requisition');
});

t.test('a lost answer to the insert: the retry finds the requisition and finishes it', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'insertRequestRequisition',
    action: { type: 'afterApply', answer: 'reset' },
    times: 1,
  });
  const journal = new MemoryJournal();
  const o = order('ORD-3', [{ gtin: AMOXICILLIN, qty: 100 }]);
  const err = await failure(rig.connector.orders!.submit(o, journal));
  t.equal(err.transient, true, 'no answer: transient, so the outbox retries');
  t.equal(requests(rig).length, 1, 'the upstream applied the insert');
  t.equal(requests(rig)[0].status, 'DRAFT');
  await rig.connector.orders!.submit(o, journal);
  t.equal(requests(rig).length, 1, 'still one requisition');
  t.equal(requests(rig)[0].status, 'SENT');
  t.same(
    rig.sb.state.linesOf(requests(rig)[0].id).map((l) => l.requestedQuantity),
    [100],
  );
});

t.test('a crash between the lines and SENT: the journal resumes at SENT', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'updateRequestRequisition', action: { type: 'reset' }, times: 1 });
  const journal = new MemoryJournal();
  const o = order('ORD-4', [
    { gtin: AMOXICILLIN, qty: 100 },
    { gtin: ORS, qty: 50 },
  ]);
  await failure(rig.connector.orders!.submit(o, journal));
  t.same(
    [...journal.steps.keys()],
    ['insert-requisition', 'line:AMX250T', 'line:ORS205S', 'former-lines'],
    'insert and lines done, SENT not',
  );
  const lineWrites = rig.sb.state.applied.filter((a) => a.mutation.includes('Line')).length;
  await rig.connector.orders!.submit(o, journal);
  t.equal(
    rig.sb.state.applied.filter((a) => a.mutation.includes('Line')).length,
    lineWrites,
    'completed steps are not repeated',
  );
  t.equal(requests(rig).length, 1);
  t.equal(requests(rig)[0].status, 'SENT');
});

t.test('a token expiring mid-flow costs one renewal, not a second requisition', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'insertRequestRequisitionLine', action: { type: 'expireToken' }, times: 1 });
  await rig.connector.orders!.submit(order('ORD-5', [{ gtin: AMOXICILLIN, qty: 100 }]), new MemoryJournal());
  t.equal(rig.sb.state.refreshes, 1, 'renewed once with the refresh cookie');
  t.equal(rig.sb.state.logins, 1, 'without logging in again');
  t.equal(requests(rig).length, 1);
  t.equal(requests(rig)[0].status, 'SENT');
  t.equal(rig.sb.state.linesOf(requests(rig)[0].id).length, 1, 'the refused line insert was replayed once');
});

t.test('bad orders are refused before anything is written, naming the line', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const cases: [string, ReturnType<typeof order>, RegExp, string][] = [
    [
      'unmapped product',
      order('B-1', [{ gtin: '10860012300034', qty: 10 }]),
      /gtin\|10860012300034 \(Male condom\) has no Open mSupply item code in products\.json \(codes\.msupply\)/,
      'Order.lines[0].product',
    ],
    [
      // not "has no item code", which sends the operator looking for a row that is not there
      'a product the catalogue does not list',
      order('B-7', [{ gtin: '00000000000017', qty: 10 }]),
      /gtin\|00000000000017 is not in products\.json: no row carries that code \(add the product, with codes\.msupply\)/,
      'Order.lines[0].product',
    ],
    [
      'a store the user may not act in',
      order('B-2', [{ gtin: ORS, qty: 10 }], 'store-hc-east'),
      /not one the integration user 'mediator' may act in/,
      'Order.facility',
    ],
    [
      'an unknown facility',
      order('B-3', [{ gtin: ORS, qty: 10 }], 'nowhere'),
      /not an Open mSupply store/,
      'Order.facility',
    ],
    [
      'a fraction',
      order('B-4', [{ gtin: ORS, qty: 2.5 }]),
      /not a whole, non-negative number/,
      'Order.lines[0].quantity',
    ],
    [
      'an item twice',
      order('B-5', [
        { gtin: ORS, qty: 1 },
        { gtin: ORS, qty: 2 },
      ]),
      /ordered twice/,
      'Order.lines[1].product',
    ],
  ];
  for (const [what, o, words, where] of cases) {
    const err = await failure(rig.connector.orders!.precheck!(o));
    t.ok(err instanceof BusinessRuleError, what);
    t.match(err.message, words, what);
    t.same(err.issues[0].expression, [where], `${what}: at ${where}`);
  }
  const notSupplier = await failure(
    startRig({ 'msupply.supplierCode': 'DONOR-1' }).then(async (r) => {
      try {
        await r.connector.orders!.precheck!(order('B-6', [{ gtin: ORS, qty: 1 }]));
      } finally {
        await r.close();
      }
    }),
  );
  t.match(notSupplier.message, /DONOR-1.*is not a supplier of Open mSupply store HC-NORTH/);
  t.equal(rig.sb.state.requisitions.size, 0, 'nothing written');
});

t.test(
  "the warehouse's response requisitions read as the orders they were made from when the supplier is named",
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    await rig.connector.orders!.submit(order('ORD-6', [{ gtin: AMOXICILLIN, qty: 200 }]), new MemoryJournal());
    const [request] = (await rig.connector.orders!.search({ identifier: { value: 'ORD-6' } })).items;
    const found = await rig.connector.orders!.search({ supplier: 'store-wh-central' });
    t.equal(found.items.length, 1, 'one response requisition at the warehouse');
    const response = found.items[0];
    // one order, one id: the warehouse's copy is the request, as the facility's search lists it
    t.same(response, request, 'the request, ids, status and all');
    t.equal(response.status, 'active', 'the order as sent (its response is NEW)');
    t.equal(response.facility.id, 'store-hc-north', 'the ordering facility');
    t.equal(response.supplier?.id, 'store-wh-central');
    const responseId = [...rig.sb.state.requisitions.values()].find((r) => r.type === 'RESPONSE')!.id;
    t.same(await rig.connector.orders!.get(responseId), request, 'read by its id: the request too');
    const former = rig.connector.orders!.formerIds!(responseId, request);
    t.same(
      [...former.values()],
      request.lines.map((l) => l.lineId),
      'the ids its lines had as the response: to the lines they are',
    );
    t.notOk(
      [...former.keys()].some((id) => request.lines.some((l) => l.lineId === id)),
      'none of them an id now',
    );
    t.same(rig.connector.orders!.formerIds!(request.id!, request).size, 0, 'none for a read of the request itself');
    t.same(
      (await rig.connector.orders!.search({ supplier: 'store-wh-central', facility: 'store-hc-south' })).items,
      [],
      'not for another facility',
    );
  },
);

t.test('a mutation answered with neither data nor errors (a proxy page): transient, one requisition', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // whether the insert landed is unknown from such an answer, as after a dropped connection
  rig.sb.faults.add({
    operation: 'insertRequestRequisition',
    action: { type: 'status', status: 200, body: '<html><title>Sign in</title></html>' },
    times: 1,
  });
  const journal = new MemoryJournal();
  const o = order('ORD-PROXY-1', [{ gtin: AMOXICILLIN, qty: 100 }]);
  const err = await failure(rig.connector.orders!.submit(o, journal));
  t.equal(err.transient, true, `retried by the outbox, not refused: ${err.message}`);
  // as DHIS2's import answered 2xx without a summary: an answer came, nothing is left in flight
  // for the outbox to wait out (settleMs), and the stored error says what the upstream answered
  t.equal(err.upstreamStatus, 200, 'the status of the answer');
  t.notOk(isUnknownUpstreamOutcome(err), 'no request still in flight');
  t.notOk(journal.steps.has('insert-requisition'), 'the insert is not journaled as done');
  await rig.connector.orders!.submit(o, journal);
  t.equal(requests(rig).length, 1, 'one requisition');
  t.equal(requests(rig)[0].status, 'SENT');
});

t.test(
  "a response requisition's lines are checked as a request's: at the element, naming the earlier line",
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    // a DHIS2 requisition of the West clinic, a customer of the warehouse (msupply.supplierCode)
    const forClinic = (lines: Parameters<typeof order>[1]) => ({
      ...order('F-1', lines),
      facility: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'CL-WEST' } },
    });
    await t.resolves(rig.connector.fulfilment.precheck(forClinic([{ gtin: ORS, qty: 10 }])), 'a valid one passes');
    const twice = await failure(
      rig.connector.fulfilment.precheck(
        forClinic([
          { gtin: ORS, qty: 1 },
          { gtin: AMOXICILLIN, qty: 1 },
          { gtin: ORS, qty: 2 },
        ]),
      ),
    );
    t.ok(twice instanceof BusinessRuleError);
    t.match(twice.message, /Order\.lines\[2\]: item \S+ is ordered twice \(also Order\.lines\[0\]\)/);
    t.same(twice.issues[0].expression, ['Order.lines[2].product'], 'the repeated product, as for a request');
    const fraction = await failure(rig.connector.fulfilment.precheck(forClinic([{ gtin: ORS, qty: 2.5 }])));
    t.match(
      fraction.message,
      /Order\.lines\[0\]: quantity 2\.5 is not a whole, non-negative number of dispensing-units/,
    );
    t.same(fraction.issues[0].expression, ['Order.lines[0].quantity']);
  },
);
