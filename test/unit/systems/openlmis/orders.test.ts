import t from 'tap';
import { BusinessRuleError, isTransient, type Order } from '../../../../src/domain/index.js';
import { REQUISITION_SYSTEM, orderLineId } from '../../../../src/systems/openlmis/identifiers.js';
import { failure } from './client-harness.js';
import {
  MemoryJournal,
  fiveLineOrder,
  line,
  order,
  requisitions,
  startFlowHarness,
  type FlowHarness,
} from './orders-harness.js';

/**
 * The order flow against the sandbox: one order → one submitted requisition with the right
 * dispensing-unit quantities, however often and wherever it is interrupted.
 */
const EXPECTED_UNITS: Record<string, number> = {
  'EM-AMX250': 300,
  'EM-PCM500': 2000,
  'EM-ORS': 200,
  'EM-ZNC20': 300,
  'EM-CTX480': 1000,
};

function requestedByCode(h: FlowHarness, id: string): Record<string, number> {
  const r = h.sb.state.store.requisitions.get(id)!;
  const out: Record<string, number> = {};
  for (const l of r.lineItems)
    if (l.requestedQuantity !== null) out[h.sb.state.store.orderable(l.orderableId)!.productCode] = l.requestedQuantity;
  return out;
}

function submitted(h: FlowHarness) {
  return h.sb.state.submittedRequisitions();
}

t.test(
  'a 5-line order becomes one submitted requisition in dispensing units, and reads back as the same order',
  async (t) => {
    const h = await startFlowHarness();
    t.teardown(h.close);
    const o = fiveLineOrder(h);
    const journal = new MemoryJournal();
    const result = await h.orders.submit(o, journal);
    t.same(result, { system: 'openlmis', ids: { requisition: result.ids.requisition }, status: 'active' });
    t.equal(requisitions(h).length, 1, 'exactly one requisition');
    const r = h.sb.state.store.requisitions.get(result.ids.requisition)!;
    t.equal(r.status, 'SUBMITTED');
    t.same(requestedByCode(h, r.id), EXPECTED_UNITS, 'packs × netContent for pack lines, dispensing units as given');
    t.same(r.extraData.fhirOrderNumber, o.orderNumber, 'order number kept in extraData');
    const zinc = r.lineItems.find((l) => h.sb.state.store.orderable(l.orderableId)!.productCode === 'EM-ZNC20')!;
    t.equal(zinc.requestedQuantityExplanation, 'diarrhoea season', 'the line explanation wins');
    const amox = r.lineItems.find((l) => h.sb.state.store.orderable(l.orderableId)!.productCode === 'EM-AMX250')!;
    t.equal(
      amox.requestedQuantityExplanation,
      `Ordered via FHIR SupplyRequest ${o.orderNumber.value}`,
      'default explanation',
    );
    const initiate = h.calls.find((c) => c.path === '/api/requisitions/initiate')!;
    t.equal(initiate.idempotencyKey, journal.idempotencyKey, 'Idempotency-Key is the journal key');
    // every step recorded (the initiate's record joins the order's last commit: it may follow the fill's)
    t.same([...journal.steps.keys()].sort(), ['fill', 'find-period', 'initiate', 'submit']);

    const back = (await h.orders.get(r.id))!;
    t.equal(back.id, r.id);
    t.same(back.orderNumber, o.orderNumber);
    t.equal(back.status, 'active');
    t.equal(back.priority, 'routine');
    t.equal(back.program, 'EM01');
    t.equal(back.facility.identifier?.value, 'LK-HC-101');
    t.equal(back.lines.length, 5, 'only the lines with a requested quantity');
    for (const l of back.lines) {
      t.equal(
        l.lineId,
        orderLineId(o.orderNumber, l.product),
        `${l.product.code}: same line id as the FHIR edge gives`,
      );
      t.equal(l.quantity.unit, 'dispensing-unit');
    }
    t.same(
      new Set(back.lines.map((l) => l.lineId)),
      new Set(o.lines.map((l) => orderLineId(o.orderNumber, l.product))),
      'the posted lines come back',
    );

    const byFacility = await h.orders.search({ facility: h.seed.facilities['LK-HC-101'] });
    t.same(
      byFacility.items.map((x) => x.id),
      [r.id],
    );
    const byNumber = await h.orders.search({
      identifier: { system: o.orderNumber.system, value: o.orderNumber.value },
    });
    t.same(
      byNumber.items.map((x) => x.id),
      [r.id],
      'found by the client order number',
    );
    const byRequisition = await h.orders.search({ identifier: { system: REQUISITION_SYSTEM, value: r.id } });
    t.same(
      byRequisition.items.map((x) => x.id),
      [r.id],
      'found by the requisition id',
    );
    t.same(
      (await h.orders.search({ identifier: { system: REQUISITION_SYSTEM, value: r.id }, status: 'completed' })).items,
      [],
      'status still filters',
    );
    t.same((await h.orders.search({ status: 'draft' })).items, [], 'a submitted requisition is not a draft');
    t.equal(await h.orders.get('00000000-0000-4000-8000-000000000000'), undefined, 'unknown id → undefined');
    t.equal(await h.orders.get('not-a-uuid'), undefined);
  },
);

t.test('the same write twice (same key, journal lost) creates one requisition', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const o = fiveLineOrder(h);
  const key = new MemoryJournal().idempotencyKey;
  const first = await h.orders.submit(o, new MemoryJournal(key));
  const second = await h.orders.submit(o, new MemoryJournal(key));
  t.equal(second.ids.requisition, first.ids.requisition);
  const third = await h.orders.submit(o, new MemoryJournal());
  t.equal(third.ids.requisition, first.ids.requisition, 'a new key with the same order number finds it too');
  t.equal(requisitions(h).length, 1);
  t.equal(submitted(h).length, 1);
});

/**
 * Issue 18 lever 1 (session 18): why a write's first initiate still searches, even with no note
 * of ours on its period's lock. Once its requisition is authorized, OpenLMIS offers the next
 * period, so a new write of the same order (its dead job dropped by an operator and the order
 * sent again: a fresh job, no journal, no ledger note on that next period) initiates there. Only
 * the search of every period finds the requisition already holding the order.
 */
t.test('a new write of an order authorized in an earlier period lands on that requisition', async (t) => {
  const h = await startFlowHarness({ authorizeStep: true });
  t.teardown(h.close);
  const o = fiveLineOrder(h);
  const first = await h.orders.submit(o, new MemoryJournal());
  const written = h.sb.state.store.requisitions.get(first.ids.requisition)!;
  const offered = await h.deps.client.call<{ id: string }[]>({
    method: 'GET',
    path: '/api/requisitions/periodsForInitiate',
    query: { programId: written.programId, facilityId: written.facilityId, emergency: false },
  });
  t.notOk(
    offered.some((p) => p.id === written.periodId),
    'OpenLMIS now offers another period',
  );
  t.ok(offered.length > 0, 'and offers one');
  const again = await h.orders.submit(o, new MemoryJournal());
  t.equal(again.ids.requisition, first.ids.requisition, 'the requisition that holds the order');
  t.equal(requisitions(h).length, 1, 'no second requisition');
  t.notOk(
    h.calls.filter((c) => c.path === '/api/requisitions/initiate').length > 1,
    'nothing initiated for it in the next period',
  );
});

t.test(
  'a crash right after initiate (upstream applied it, journal did not record it) resumes to one requisition',
  async (t) => {
    const h = await startFlowHarness();
    t.teardown(h.close);
    const o = fiveLineOrder(h);
    const journal = new MemoryJournal();
    h.crashAfter('POST', /\/initiate$/);
    t.match((await failure(h.orders.submit(o, journal))).message, 'crash');
    t.notOk(journal.steps.has('initiate'), 'the journal never heard of the initiate');
    t.equal(requisitions(h).length, 1, 'but OpenLMIS has the requisition');
    const result = await h.orders.submit(o, journal);
    t.equal(requisitions(h).length, 1, 'still exactly one');
    t.equal(h.sb.state.store.requisitions.get(result.ids.requisition)!.status, 'SUBMITTED');
    t.same(requestedByCode(h, result.ids.requisition), EXPECTED_UNITS);
    // issue 9: the resumed attempt looks first, under the initiate lock, and adopts the draft our
    // user initiated after this write's note (it no longer re-posts to learn the key was burnt)
    const initiates = h.calls.filter((c) => c.path === '/api/requisitions/initiate');
    t.equal(initiates.length, 1, 'initiate was not posted again…');
    t.ok(
      h.calls.some((c) => c.path === '/api/requisitions/search' && c.query?.facility && c.query?.program),
      // one search of every period (issue 18): the period's drafts, and any requisition already holding the order
      '…the draft was found by a lookup of the facility and program',
    );
  },
);

t.test('a journal whose initiate step completed resumes at fill', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const o = fiveLineOrder(h);
  const journal = new MemoryJournal();
  h.crashAfter('PUT', /^\/api\/requisitions\/[^/]+$/);
  await failure(h.orders.submit(o, journal));
  t.same([...journal.steps.keys()], ['find-period', 'initiate']);
  const before = h.calls.length;
  await h.orders.submit(o, journal);
  t.notOk(
    h.calls.slice(before).some((c) => c.path === '/api/requisitions/initiate'),
    'no second initiate',
  );
  t.equal(requisitions(h).length, 1);
  t.equal(submitted(h).length, 1);
});

t.test('token expiry mid-flow and a 503 on submit end with exactly one submitted requisition', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const o = fiveLineOrder(h);
  h.sb.faults.add({ method: 'PUT', path: '/api/requisitions/*', times: 1, action: { type: 'expireToken' } });
  h.sb.faults.failNext('POST', '/api/requisitions/*/submit', 503);
  const journal = new MemoryJournal();
  const err = await failure(h.orders.submit(o, journal));
  t.ok(isTransient(err), 'the 503 is a transient failure the outbox retries');
  t.ok(journal.steps.has('fill'), 'the fill survived the token expiry (fresh login, same PUT)');
  const result = await h.orders.submit(o, journal);
  t.equal(result.status, 'active');
  t.equal(requisitions(h).length, 1);
  t.equal(submitted(h).length, 1);
  t.same(requestedByCode(h, result.ids.requisition), EXPECTED_UNITS);
});

t.test('a lost initiate answer (connection reset) is found by lookup, not initiated twice', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  // the reset happens before the handler runs, so nothing is created: the flow must initiate after the lookup misses
  h.sb.faults.add({ method: 'POST', path: '/api/requisitions/initiate', times: 1, action: { type: 'reset' } });
  const journal = new MemoryJournal();
  const err = await failure(h.orders.submit(fiveLineOrder(h), journal));
  t.ok(isTransient(err));
  t.equal(requisitions(h).length, 0);
  await h.orders.submit(fiveLineOrder(h), journal);
  t.equal(requisitions(h).length, 1);
});

t.test('a stale modifiedDate on the fill PUT is re-read and re-applied once', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  h.sb.faults.add({
    method: 'PUT',
    path: '/api/requisitions/*',
    times: 1,
    action: {
      type: 'status',
      status: 409,
      body: {
        messageKey: 'requisition.error.validation.dateModifiedMismatch',
        message: 'The requisition has a newer version on the server',
      },
    },
  });
  const result = await h.orders.submit(fiveLineOrder(h), new MemoryJournal());
  t.equal(h.calls.filter((c) => c.method === 'PUT').length, 2);
  t.same(requestedByCode(h, result.ids.requisition), EXPECTED_UNITS);
});

t.test('invalid orders are 422s naming the field, and write nothing', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const unmapped = order(h, 'LK-HC-101', [
    line(h, 'EM-ORS', 10),
    { product: { system: 'https://www.gs1.org/gtin', code: '10860099999997' }, quantity: { value: 5, unit: 'pack' } },
  ]);
  const e1 = await failure(h.orders.submit(unmapped, new MemoryJournal()));
  t.type(e1, BusinessRuleError);
  t.equal(e1.status, 422);
  t.match(e1.message, '10860099999997');
  t.same(e1.issues[0].expression, ['Order.lines[1].product']);

  const otherProgram = order(h, 'LK-HC-101', [line(h, 'FP-LNG30', 84)]);
  const e2 = await failure(h.orders.submit(otherProgram, new MemoryJournal()));
  t.match(e2.message, /not in program EM01/);

  // no program and products of two programs: none of the facility's three carries both
  const noProgram = order(h, 'LK-HC-101', [line(h, 'EM-ORS', 50), line(h, 'FP-LNG30', 84)], { program: undefined });
  const e3 = await failure(h.orders.submit(noProgram, new MemoryJournal()));
  t.same(e3.issues[0].expression, ['Order.program']);
  t.match(e3.message, /supports FP01, EM01, IMM1; none of them carries every ordered product/);

  const unknownFacility = order(h, 'LK-HC-101', [line(h, 'EM-ORS', 50)], {
    facility: { identifier: { system: 'x', value: 'NOPE-1' } },
  });
  t.same((await failure(h.orders.submit(unknownFacility, new MemoryJournal()))).issues[0].expression, [
    'Order.facility',
  ]);
  t.equal(requisitions(h).length, 0, 'no requisition was initiated');
  t.notOk(
    h.calls.some((c) => c.method !== 'GET'),
    'no write reached OpenLMIS',
  );
});

t.test('a facility with one program needs no program; authorizeStep authorizes', async (t) => {
  const h = await startFlowHarness({ authorizeStep: true });
  t.teardown(h.close);
  const o = order(h, 'LK-HC-104', [line(h, 'EM-ORS', 2, 'pack')], { program: undefined });
  const result = await h.orders.submit(o, new MemoryJournal());
  const r = h.sb.state.store.requisitions.get(result.ids.requisition)!;
  t.equal(r.status, 'AUTHORIZED');
  t.equal(h.sb.state.store.program(r.programId)!.code, 'EM01');
  t.equal(result.status, 'active');
});

t.test("no program named: the one of the facility's programs that carries every product", async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const o = order(h, 'LK-HC-101', [line(h, 'EM-ORS', 50), line(h, 'EM-AMX250', 30)], { program: undefined });
  const result = await h.orders.submit(o, new MemoryJournal());
  const r = h.sb.state.store.requisitions.get(result.ids.requisition)!;
  t.equal(h.sb.state.store.program(r.programId)!.code, 'EM01', 'inferred among FP01, EM01 and IMM1');
});

t.test('priority urgent → emergency requisition; order.period picks the period', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const urgent = await h.orders.submit(
    order(h, 'LK-HC-101', [line(h, 'EM-ORS', 100)], { priority: 'stat' }),
    new MemoryJournal(),
  );
  const r = h.sb.state.store.requisitions.get(urgent.ids.requisition)!;
  t.ok(r.emergency);
  t.same(
    r.lineItems.map((l) => [h.sb.state.store.orderable(l.orderableId)!.productCode, l.requestedQuantity, l.skipped]),
    [['EM-ORS', 100, false]],
    'OpenLMIS starts an emergency requisition empty: the ordered product was added as its only line',
  );
  t.equal(r.status, 'SUBMITTED');
  t.equal((await h.orders.get(r.id))!.priority, 'urgent', 'OpenLMIS keeps a boolean: stat reads back as urgent');

  const periods = await h.client.call<any[]>({
    method: 'GET',
    path: '/api/requisitions/periodsForInitiate',
    query: { programId: h.seed.programs.FP01, facilityId: h.seed.facilities['LK-HC-102'], emergency: false },
  });
  const wanted = periods[0];
  const regular = await h.orders.submit(
    order(h, 'LK-HC-102', [line(h, 'FP-DMPA', 50)], {
      program: 'FP01',
      period: { start: wanted.startDate, end: wanted.endDate },
    }),
    new MemoryJournal(),
  );
  t.equal(h.sb.state.store.requisitions.get(regular.ids.requisition)!.periodId, wanted.id);
  const none = await failure(
    h.orders.submit(
      order(h, 'LK-HC-102', [line(h, 'FP-DMPA', 50)], { program: 'FP01', period: { start: '1999-01-01' } }),
      new MemoryJournal(),
    ),
  );
  t.same(none.issues[0].expression, ['Order.period']);
});

t.test('no requisition period → a requisition-less order in packs, sent to the supplier', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const supplier = { identifier: h.facility('LK-WH-301').identifier };
  const o: Order = order(h, 'LK-WH-302', [line(h, 'EM-ORS', 6, 'pack'), line(h, 'EM-AMX250', 500)], { supplier });
  const journal = new MemoryJournal();
  const result = await h.orders.submit(o, journal);
  t.same(Object.keys(result.ids), ['order']);
  t.same([...journal.steps.keys()], ['find-period', 'create-order-intent', 'create-order', 'send-order']);
  const created = h.sb.state.store.orders.get(result.ids.order)!;
  t.ok(created.requisitionLess);
  t.equal(created.status, 'ORDERED');
  t.same(
    Object.fromEntries(
      created.lineItems.map((l) => [h.sb.state.store.orderable(l.orderableId)!.productCode, l.orderedQuantity]),
    ),
    { 'EM-ORS': 6, 'EM-AMX250': 5 },
    'dispensing units → whole packs',
  );
  const back = (await h.orders.get(created.id))!;
  t.equal(back.status, 'active');
  t.same(
    back.lines.map((l) => l.quantity),
    [
      { value: 6, unit: 'pack' },
      { value: 5, unit: 'pack' },
    ],
  );
  await h.orders.submit(o, journal);
  t.equal(h.sb.state.store.orders.size, 1, 'a replay creates nothing');

  const noSupplier = await failure(
    h.orders.submit(order(h, 'LK-WH-302', [line(h, 'EM-ORS', 1, 'pack')]), new MemoryJournal()),
  );
  t.same(noSupplier.issues[0].expression, ['Order.supplier']);
  const partialPack = await failure(
    h.orders.submit(order(h, 'LK-WH-302', [line(h, 'EM-ORS', 70)], { supplier }), new MemoryJournal()),
  );
  t.same(partialPack.issues[0].expression, ['Order.lines[0].quantity']);
});

t.test('a requisition-less order is never reported cancelled: OpenLMIS keeps it, so the cancel is a 409', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const supplier = { identifier: h.facility('LK-WH-301').identifier };
  const o: Order = order(h, 'LK-WH-302', [line(h, 'EM-ORS', 6, 'pack')], { supplier });
  const result = await h.orders.submit(o, new MemoryJournal());
  const cancelled: Order = { ...o, status: 'cancelled', revision: 1 };
  const pre = await failure(h.orders.precheckChange!(cancelled));
  t.equal(pre.status, 409, 'the precheck refuses it');
  t.match(pre.message, /requisition-less order/, 'and says why');
  const write = await failure(h.orders.cancel!(cancelled, new MemoryJournal()));
  t.equal(write.status, 409, 'so does the write, had it been queued before');
  t.equal(h.sb.state.store.orders.get(result.ids.order)!.status, 'ORDERED', 'the order stands in OpenLMIS');
});

t.test(
  'a crash right after the requisition-less create resumes to its own draft; a look-alike order gets its own',
  async (t) => {
    const h = await startFlowHarness();
    t.teardown(h.close);
    const supplier = { identifier: h.facility('LK-WH-301').identifier };
    const lines = () => [line(h, 'EM-ORS', 3, 'pack')];
    const a: Order = order(h, 'LK-WH-302', lines(), { supplier });
    const b: Order = {
      ...order(h, 'LK-WH-302', lines(), { supplier }),
      orderNumber: { ...a.orderNumber, value: `${a.orderNumber.value}-B` },
    };
    const journalA = new MemoryJournal();
    h.crashAfter('POST', /^\/api\/orders\/requisitionLess$/);
    t.match((await failure(h.orders.submit(a, journalA))).message, 'crash');
    t.notOk(journalA.steps.has('create-order'), 'the journal never heard of the create');
    t.equal(h.sb.state.store.orders.size, 1, 'but OpenLMIS has the draft');

    // another order with the very same lines, while A's draft is still unsent
    const resultB = await h.orders.submit(b, new MemoryJournal());
    t.equal(h.sb.state.store.orders.size, 2, "B did not take A's draft for its own");
    const resultA = await h.orders.submit(a, journalA);
    t.equal(h.sb.state.store.orders.size, 2, 'A resumed to its draft instead of creating a second one');
    t.not(resultA.ids.order, resultB.ids.order);
    t.same(
      [resultA, resultB].map((r) => h.sb.state.store.orders.get(r.ids.order)!.status),
      ['ORDERED', 'ORDERED'],
    );
    t.same(
      (await h.orders.get(resultA.ids.order))!.orderNumber,
      a.orderNumber,
      "read back with the client's order number",
    );
    t.same((await h.orders.get(resultB.ids.order))!.orderNumber, b.orderNumber);
  },
);

t.test(
  'a server that ignores added full-supply lines: the emergency order is refused naming the product, nothing submitted',
  async (t) => {
    const h = await startFlowHarness({}, { requisitionNewLines: 'non-full-supply' });
    t.teardown(h.close);
    const err = await failure(
      h.orders.submit(order(h, 'LK-HC-101', [line(h, 'EM-ORS', 100)], { priority: 'urgent' }), new MemoryJournal()),
    );
    t.equal(err.status, 422);
    t.match(err.message, /did not take product EM-ORS onto requisition .*nothing was submitted.*deleted again/);
    t.same(err.issues[0].expression, ['Order.lines[0].product']);
    // issue 9 item 4: the refused order's requisition is undone (it used to stay INITIATED, empty)
    const emergency = [...h.sb.state.store.requisitions.values()].filter((r) => r.emergency);
    t.same(
      emergency,
      [],
      'the PUT was answered 200 without the line; the connector did not submit it and deleted the requisition',
    );
  },
);

t.test("a clerk's unsent draft with the very same lines is never taken for the order's own", async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const supplier = { identifier: h.facility('LK-WH-301').identifier };
  const o: Order = order(h, 'LK-WH-302', [line(h, 'EM-ORS', 3, 'pack')], { supplier });
  // made by hand in OpenLMIS, so no order number in extraData
  const clerk = await h.client.call<{ id: string }>({
    method: 'POST',
    path: '/api/orders/requisitionLess',
    body: {
      facility: { id: h.seed.facilities['LK-WH-302'] },
      requestingFacility: { id: h.seed.facilities['LK-WH-302'] },
      receivingFacility: { id: h.seed.facilities['LK-WH-302'] },
      supplyingFacility: { id: h.seed.facilities['LK-WH-301'] },
      program: { id: h.seed.programs.EM01 },
      orderLineItems: [{ orderable: { id: h.seed.orderables['EM-ORS'] }, orderedQuantity: 3 }],
    },
  });
  const first = await h.orders.submit(o, new MemoryJournal());
  t.not(first.ids.order, clerk.id, 'a first attempt creates its own order');
  t.equal(h.sb.state.store.orders.get(clerk.id)!.status, 'CREATING', "the clerk's draft is left unsent");

  // a resumed attempt (an earlier one journaled its intent, then died) looks, but only at drafts made since
  const journal = new MemoryJournal();
  journal.steps.set('create-order-intent', {
    token: 'earlier-attempt',
    at: new Date(Date.now() + 5 * 60_000).toISOString(),
  });
  const resumed = await h.orders.submit(
    { ...o, orderNumber: { ...o.orderNumber, value: `${o.orderNumber.value}-R` } },
    journal,
  );
  t.not(resumed.ids.order, clerk.id, 'an older look-alike draft is not adopted on resume either');
  t.equal(h.sb.state.store.orders.get(clerk.id)!.status, 'CREATING');
});

t.test('createOpenLmisConnector wires the order and delivery capabilities', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const { createOpenLmisConnector } = await import('../../../../src/systems/openlmis/index.js');
  const connector = createOpenLmisConnector({
    'openlmis.baseUrl': h.sb.url,
    'openlmis.username': 'mediator',
    'openlmis.password': 'password',
    'openlmis.clientSecret': 'changeme',
  });
  t.teardown(() => connector.close?.());
  const result = await connector.orders!.submit(fiveLineOrder(h), new MemoryJournal());
  t.equal((await connector.orders!.get(result.ids.requisition))!.lines.length, 5);
  t.same(
    (await connector.deliveries!.search({ facility: h.seed.facilities['LK-HC-101'] })).items,
    [],
    'nothing shipped yet',
  );
});
