import t from 'tap';
import { MediatorError } from '../../../../src/domain/errors.js';
import { stableId } from '../../../../src/domain/ids.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createRequisitionOrders } from '../../../../src/systems/dhis2/requisition-orders.js';
import { createRequisitionFeed, parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { RTS_EVENT_SYSTEM } from '../../../../src/systems/dhis2/rts.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import type { Order } from '../../../../src/domain/index.js';
import type { Page } from '../../../../src/routing/ports.js';
import { REQUISITION, REQUISITION_DATA_ELEMENTS } from '../../../../sandbox/dhis2/index.js';
import { startHarness, type Harness } from './harness.js';

/**
 * The RTS order program's requisition events read as orders (issue 11), bounded: every read asks
 * DHIS2 only for what the search names (facility, event UIDs, dates, status), spelt as the
 * server's version wants it (`ouMode`/`event` before 2.41, `orgUnitMode`/`events` from 2.41; a
 * 2.42+ server ignores the old names and would answer the whole program), a FHIR page is one DHIS2
 * page, a read by id is one event call, and a search nothing bounds is refused before any call.
 */
const GTIN = 'https://www.gs1.org/gtin';

async function rig(t: { teardown(fn: () => Promise<void>): void }, version = '2.41.3') {
  const h = await startHarness({ version });
  t.teardown(h.close);
  const ous = h.sandbox.state.summary().orgUnits;
  const products = loadDhis2Products({});
  const program = parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS);
  const orders = createRequisitionOrders({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
    program: () => program,
    crosswalk: async (id) => (id === 'mfr-hc-101' ? ous['LK-HC-101'] : undefined),
  });
  await h.client.version();
  return { h, ous, orders };
}

type Values = Record<string, string>;
function requisition(event: string, orgUnit: string, status: string, values: Values, occurredAt: string) {
  return {
    event,
    program: REQUISITION.program,
    programStage: REQUISITION.stage,
    orgUnit,
    occurredAt,
    status,
    dataValues: Object.entries(values).map(([code, value]) => ({ dataElement: REQUISITION.quantities[code], value })),
  };
}

/** Upstream calls made by `action`: every request the sandbox saw, and the event exports' queries. */
async function counted<T>(h: Harness, action: () => Promise<T>) {
  const total = () => [...h.sandbox.state.hits.values()].reduce((a, b) => a + b, 0);
  const before = total();
  const queries = h.sandbox.tracker.eventQueries.length;
  const value = await action();
  return { value, calls: total() - before, queries: h.sandbox.tracker.eventQueries.slice(queries) };
}

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as MediatorError;
  }
  throw new Error('expected a refusal');
};

t.test('requisition events as orders: search by facility, read by event or line id in one call', async (t) => {
  const { h, ous, orders } = await rig(t);
  const r = await postTrackerEvents(h.client, [
    requisition(
      'ReqSent0001',
      ous['LK-HC-101'],
      'COMPLETED',
      { EM_ORS: '150', FP_CNDM: '0', EM_ZNC20: '40' },
      '2024-06-03T08:00:00.000',
    ),
    requisition('ReqOpen0001', ous['LK-HC-101'], 'ACTIVE', { FP_DMPA: '20' }, '2024-06-04T08:00:00.000'),
    requisition('ReqNone0001', ous['LK-HC-101'], 'COMPLETED', { EM_ORS: '0' }, '2024-06-05T08:00:00.000'),
    requisition('ReqElse0001', ous['LK-HC-102'], 'COMPLETED', { EM_ORS: '5' }, '2024-06-06T08:00:00.000'),
  ]);
  t.equal(r.created, 4);

  const search = await counted(h, () => orders.search({ facility: ous['LK-HC-101'] }));
  t.same(
    search.value.items
      .map((o) => [o.orderNumber.value, o.status, o.lines.map((l) => [l.product.code, l.quantity.value])])
      .sort(),
    [
      [
        'ReqSent0001',
        'active',
        [
          ['10860012300072', 150],
          ['10860012300089', 40],
        ],
      ],
      ['ReqOpen0001', 'draft', [['10860012300027', 20]]],
    ].sort(),
    'completed: active; open: draft; no quantity above zero: no order; the other facility left out',
  );
  t.equal(search.calls, 2, 'the facility (org unit) and one page of its events');
  t.match(search.queries[0], { orgUnit: ous['LK-HC-101'], orgUnitMode: 'SELECTED', order: 'createdAt:asc' });

  const sent = search.value.items.find((o) => o.orderNumber.value === 'ReqSent0001')!;
  t.same(sent.orderNumber, { system: RTS_EVENT_SYSTEM, value: 'ReqSent0001' });
  t.equal(sent.id, 'ReqSent0001', 'the order is its event: what a search links its lines to');
  t.match(sent.facility, { id: ous['LK-HC-101'], identifier: { value: 'LK-HC-101' } });
  const orsLine = `ReqSent0001-${stableId('SupplyRequest', RTS_EVENT_SYSTEM, 'ReqSent0001', GTIN, '10860012300072')}`;
  t.equal(sent.lines[0].lineId, orsLine, "a line's id: its event UID, then the line id formula");

  const byEvent = await counted(h, () => orders.get('ReqSent0001'));
  t.same(byEvent.value?.lines, sent.lines, 'read by event UID');
  const byLine = await counted(h, () => orders.get(orsLine));
  t.equal(byLine.value?.orderNumber.value, 'ReqSent0001', 'read by line id');
  t.equal(byLine.calls, 2, 'a read by line id: the event itself and its org unit, no search');
  t.equal(h.sandbox.state.count('GET', '/api/tracker/events/ReqSent0001'), 2);

  const foreign = await counted(h, () => orders.get('0b5e6bd1e0a2d2b4a1f3c9d8e7f6a5b4'));
  t.equal(foreign.value, undefined, "another system's id (a hash) is not ours");
  t.equal(foreign.calls, 0, 'and costs no DHIS2 call');
  t.equal(await orders.get('NoSuchEvnt1'), undefined);
  t.equal(await orders.get('ReqNone0001'), undefined, 'an event that is no order');
  t.equal(
    await orders.get(`ReqSent0001-${stableId('SupplyRequest', RTS_EVENT_SYSTEM, 'ReqSent0001', GTIN, 'other')}`),
    undefined,
    'a line id of a product the event does not order',
  );
  t.same(await orders.search({ facility: 'not-a-uid' }), { items: [] }, 'a facility DHIS2 does not know');
  t.same(
    (await orders.search({ facility: 'mfr-hc-101' })).items.map((o) => o.orderNumber.value).sort(),
    ['ReqOpen0001', 'ReqSent0001'],
    'a registry Location id, through the crosswalk',
  );
});

t.test('a search nothing bounds is refused before any call; one that cannot match makes none', async (t) => {
  const { h, orders } = await rig(t);
  for (const criteria of [{}, { status: 'active' }, { date: [{ to: '2024-06-30T00:00:00Z' }] }]) {
    const attempt = await counted(h, () => refusal(orders.search(criteria)));
    t.match(attempt.value, {
      status: 422,
      issues: [{ code: 'too-costly', diagnostics: /add subject .*date=ge.*_lastUpdated=ge.*identifier or _id/ }],
    });
    t.equal(attempt.calls, 0, `${JSON.stringify(criteria)}: refused without asking DHIS2`);
  }
  for (const criteria of [
    { supplier: 'wh-1', facility: 'LkHc000101x' },
    { status: 'cancelled', facility: 'LkHc000101x' },
    { identifier: { system: 'https://example.org/other', value: 'ReqSent0001' } },
    { identifier: { value: 'not an event' } },
    { ids: ['0b5e6bd1e0a2d2b4a1f3c9d8e7f6a5b4'] },
    { date: [{ from: '2024-07-01T00:00:00Z', to: '2024-06-01T00:00:00Z' }] },
  ]) {
    const none = await counted(h, () => orders.search(criteria));
    t.same(none.value, { items: [] });
    t.equal(none.calls, 0, `${JSON.stringify(criteria)}: nothing can match, nothing asked`);
  }
});

for (const version of ['2.37.9', '2.39.2', '2.41.3', '2.43.0']) {
  t.test(`DHIS2 ${version}: the filters spelt as this version reads them`, async (t) => {
    const { h, ous, orders } = await rig(t, version);
    const v41 = !/^2\.3\d\./.test(version);
    const v38 = version !== '2.37.9';
    await postTrackerEvents(h.client, [
      requisition('ReqJune0001', ous['LK-HC-101'], 'COMPLETED', { EM_ORS: '10' }, '2024-06-03T08:00:00.000'),
      requisition('ReqJuly0001', ous['LK-HC-101'], 'ACTIVE', { EM_ORS: '20' }, '2024-07-03T08:00:00.000'),
      requisition('ReqJuly0002', ous['LK-HC-102'], 'COMPLETED', { EM_ORS: '30' }, '2024-07-04T08:00:00.000'),
    ]);
    const numbers = (p: Page<Order>) => p.items.map((o) => o.orderNumber.value).sort();

    const byNumber = await counted(h, () =>
      orders.search({ identifier: { system: RTS_EVENT_SYSTEM, value: 'ReqJuly0002' } }),
    );
    t.same(numbers(byNumber.value), ['ReqJuly0002'], 'by order number: that event alone');
    t.equal(byNumber.queries.length, 1);
    t.match(byNumber.queries[0], v41 ? { events: 'ReqJuly0002' } : { event: 'ReqJuly0002' });
    t.match(byNumber.queries[0], { order: v38 ? 'createdAt:asc' : 'created:asc' }, 'ordered by creation');
    t.equal(byNumber.calls, 2, 'one events call, and the org unit of what it found');

    const byIds = await counted(h, () =>
      orders.search({ ids: [`ReqJune0001-${'0'.repeat(32)}`, 'ReqJuly0001', 'elsewhere-id'] }),
    );
    t.same(numbers(byIds.value), ['ReqJuly0001', 'ReqJune0001'], '_id: the events the ids carry');
    t.match(byIds.queries[0], v41 ? { events: 'ReqJune0001,ReqJuly0001' } : { event: 'ReqJune0001;ReqJuly0001' });

    const facility = await counted(h, () => orders.search({ facility: ous['LK-HC-101'], status: 'active' }));
    t.same(numbers(facility.value), ['ReqJune0001'], 'by facility and status');
    t.match(
      facility.queries[0],
      v41 ? { orgUnitMode: 'SELECTED', status: 'COMPLETED' } : { ouMode: 'SELECTED', status: 'COMPLETED' },
    );

    const july = await counted(h, () =>
      orders.search({ date: [{ from: '2024-07-01T00:00:00Z', to: '2024-07-31T23:59:59.999Z' }] }),
    );
    t.same(numbers(july.value), ['ReqJuly0001', 'ReqJuly0002'], 'by date, every facility: bounded by the dates');
    t.match(july.queries[0], { occurredAfter: '2024-07-01T00:00:00.000', occurredBefore: '2024-07-31T23:59:59.999' });

    const since = new Date(Date.now() - 60_000).toISOString();
    const recent = await counted(h, () => orders.search({ lastUpdated: [{ from: since }] }));
    t.equal(recent.value.items.length, 3, '_lastUpdated: what changed since');
    t.match(recent.queries[0], { updatedAfter: since.replace(/Z$/, '') });
    t.equal(recent.queries.length, 1, 'one page of events');

    // a requisition created last but dated first: pages follow creation (a new event never shifts
    // a page already served), and the bridge's feed follows updates, as this version spells it
    await postTrackerEvents(h.client, [
      requisition('ReqMay00001', ous['LK-HC-101'], 'COMPLETED', { EM_ORS: '5' }, '2024-05-01T08:00:00.000'),
    ]);
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page: Page<Order> = await orders.search({ facility: ous['LK-HC-101'], page: { count: 1, cursor } });
      paged.push(...page.items.map((o) => o.orderNumber.value));
      cursor = page.next;
    } while (cursor && paged.length < 10);
    t.equal(paged.at(-1), 'ReqMay00001', `pages in creation order: ${paged.join(' ')}`);
    const feed = createRequisitionFeed({
      client: h.client,
      reader: createOrgUnitReader(h.client),
      products: () => loadDhis2Products({}),
      program: () => parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS),
    });
    const fed = await counted(h, async () => {
      const out: string[] = [];
      for await (const p of feed.completed(undefined, 2)) out.push(...p.orders.map((o) => o.orderNumber.value));
      return out;
    });
    t.equal(fed.value.at(-1), 'ReqMay00001', `the feed in update order: ${fed.value.join(' ')}`);
    t.match(fed.queries[0], { order: v38 ? 'updatedAt:asc' : 'lastUpdated:asc' });
  });
}

t.test('a FHIR page is one DHIS2 page: at most _count lines, a cursor to the next', async (t) => {
  const { h, ous, orders } = await rig(t);
  const events = Array.from({ length: 5 }, (_, i) =>
    requisition(
      `ReqPage000${i}`,
      ous['LK-HC-103'],
      'COMPLETED',
      { EM_ORS: String(10 + i), EM_ZNC20: String(20 + i) },
      `2024-06-0${i + 1}T08:00:00.000`,
    ),
  );
  await postTrackerEvents(h.client, events);
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await counted(h, () => orders.search({ facility: ous['LK-HC-103'], page: { count: 3, cursor } }));
    pages++;
    t.equal(page.value.paged, true);
    const lines = page.value.items.flatMap((o) => o.lines.map((l) => l.lineId!));
    t.ok(lines.length <= 3, `page ${pages}: ${lines.length} lines, no more than _count`);
    t.equal(page.queries.length, 1, `page ${pages}: one events call`);
    t.match(page.queries[0], { pageSize: '3' });
    seen.push(...lines);
    cursor = page.value.next;
  } while (cursor && pages < 10);
  t.equal(seen.length, 10, 'every line of the five orders, once');
  t.equal(new Set(seen).size, 10);
  t.equal(pages, 4, '10 lines in pages of 3');
  const bad = await refusal(orders.search({ facility: ous['LK-HC-103'], page: { count: 3, cursor: 'x' } }));
  t.match(bad, { status: 400, issues: [{ expression: ['_cursor'] }] });
});
