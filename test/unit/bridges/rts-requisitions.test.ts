/**
 * The pieces of the RTS → mSupply bridge that decide alone: the requisition program settings
 * (start-up names what is wrong), a requisition event read as an Order or skipped with its reason,
 * paging in update order with the page's last update as the mark, and the overlap arithmetic.
 */
import t from 'tap';
import { earlier, fulfilKey } from '../../../src/bridges/rts-to-msupply.js';
import type { Dhis2Client } from '../../../src/systems/dhis2/client.js';
import { featuresOf, parseVersion } from '../../../src/systems/dhis2/version.js';
import type { OrgUnitReader } from '../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../src/systems/dhis2/products.js';
import { createRequisitionFeed, parseRequisitionProgram, toOrder } from '../../../src/systems/dhis2/requisitions.js';
import { RTS_EVENT_SYSTEM } from '../../../src/systems/dhis2/rts.js';

const ORS = 'DeOrsQty001';
const ZINC = 'DeZincQty01';
const spec = `EM_ORS=${ORS},EM_ZNC20=${ZINC}`;

t.test('settings: program, stage and one quantity data element per product, or a precise refusal', async (t) => {
  const p = parseRequisitionProgram('LkRequisitn', 'LkReqStage1', spec);
  t.same(
    [...p.quantities],
    [
      ['EM_ORS', ORS],
      ['EM_ZNC20', ZINC],
    ],
  );
  t.throws(() => parseRequisitionProgram('LkRequisitn', undefined, spec), /dhis2.requisitionStage/);
  t.throws(() => parseRequisitionProgram('not-a-uid', 'LkReqStage1', spec), /dhis2.requisitionProgram/);
  t.throws(
    () => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', 'EM_ORS=short'),
    /'EM_ORS''s data element must be a UID, got 'short'/,
  );
  t.throws(() => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', ''), /names no product/);
});

const event = (
  uid: string,
  orgUnit: string,
  updatedAt: string,
  values: Record<string, string>,
  status = 'COMPLETED',
) => ({
  event: uid,
  status,
  orgUnit,
  occurredAt: '2026-11-28T09:00:00.000',
  updatedAt,
  dataValues: Object.entries(values).map(([dataElement, value]) => ({ dataElement, value })),
});

t.test(
  'events → Orders in update order, page by page, each page with its mark; the rest skipped with why',
  async (t) => {
    const pages = [
      [
        event('EvGood00001', 'OuCoded0001', '2026-12-01T10:00:00.000', { [ORS]: '150', [ZINC]: '0' }),
        event('EvNoCode001', 'OuNoCode001', '2026-12-01T10:00:01.000', { [ORS]: '50' }),
      ],
      [
        event('EvBadQty001', 'OuCoded0001', '2026-12-01T10:00:02.000', { [ORS]: '2.5' }),
        event('EvNothing01', 'OuCoded0001', '2026-12-01T10:00:03.000', { [ZINC]: '0' }),
      ],
    ];
    const asked: Record<string, unknown>[] = [];
    // as DHIS2 answers: updatedAfter is inclusive, then paged
    const client = {
      call: async (req: { query: Record<string, unknown> }) => {
        asked.push(req.query);
        const page = Number(req.query.page);
        const size = Number(req.query.pageSize);
        const after = req.query.updatedAfter as string | undefined;
        const all = pages.flat().filter((e) => !after || e.updatedAt >= after);
        const pageCount = Math.ceil(all.length / size);
        return { pager: { page, pageSize: size, pageCount }, events: all.slice((page - 1) * size, page * size) };
      },
      // a current server: orders by the tracker names (2.36–2.37 take the stored ones)
      features: async () => featuresOf(parseVersion('2.41.3')),
      // its zone-less times are UTC wall time, as these events' are read
      serverZoneNow: async () => 'UTC',
    } as unknown as Dhis2Client;
    const reader = {
      byId: async (uid: string) =>
        uid === 'OuCoded0001' ? { id: uid, code: 'LK-HC-101', name: 'Mberewa Health Centre' } : { id: uid },
    } as unknown as OrgUnitReader;
    const products = loadDhis2Products({});
    const program = parseRequisitionProgram('LkRequisitn', 'LkReqStage1', spec);
    const feed = createRequisitionFeed({ client, reader, products: () => products, program: () => program });

    const read = [];
    for await (const page of feed.completed('2026-12-01T09:50:00.000', 2)) read.push(page);
    // each page starts from the last event read, which DHIS2 answers again (inclusive) and the feed drops
    t.equal(read.length, 3, 'three pages: two events, then one new each');
    t.match(asked[0], {
      program: 'LkRequisitn',
      programStage: 'LkReqStage1',
      status: 'COMPLETED',
      order: 'updatedAt:asc',
      updatedAfter: '2026-12-01T09:50:00.000',
    });
    t.same(
      asked.map((q) => [q.updatedAfter, q.page]),
      [
        ['2026-12-01T09:50:00.000', 1],
        ['2026-12-01T10:00:01.000', 1],
        ['2026-12-01T10:00:02.000', 1],
      ],
      'keyset paging: from the last update read, not by page number',
    );
    t.same(
      read.map((p) => p.highWater),
      ['2026-12-01T10:00:01.000', '2026-12-01T10:00:02.000', '2026-12-01T10:00:03.000'],
      "each page's mark is its last update",
    );
    const [order] = read[0].orders;
    t.match(order, {
      orderNumber: { system: RTS_EVENT_SYSTEM, value: 'EvGood00001' },
      status: 'active',
      facility: { id: 'OuCoded0001', identifier: { value: 'LK-HC-101' }, display: 'Mberewa Health Centre' },
      lines: [{ product: { code: '10860012300072' }, quantity: { value: 150, unit: 'dispensing-unit' } }],
    });
    t.equal(order.lines.length, 1, 'a zero quantity is no line');
    t.equal(fulfilKey(order), `fulfil|${RTS_EVENT_SYSTEM}|EvGood00001`);
    t.same(
      read.flatMap((p) => p.skipped),
      // the facility by its code, else its org unit id: whom to ask to put the event right
      [
        {
          event: 'EvNoCode001',
          facility: 'OuNoCode001',
          reason: 'org unit OuNoCode001 has no code: mSupply finds a facility by its org unit code',
        },
        {
          event: 'EvBadQty001',
          facility: 'LK-HC-101',
          reason: `data element ${ORS} (EM_ORS) holds '2.5', not a whole number of units`,
        },
        { event: 'EvNothing01', facility: 'LK-HC-101', reason: 'no product has a quantity above zero' },
      ],
    );
  },
);

t.test("an events page that is none (a proxy's sign-in page): the upstream's fault, a 502", async (t) => {
  const client = {
    call: async () => '<!DOCTYPE html><html><body>Sign in</body></html>',
    features: async () => featuresOf(parseVersion('2.41.3')),
    serverZoneNow: async () => 'UTC',
  } as unknown as Dhis2Client;
  const feed = createRequisitionFeed({
    client,
    reader: { byId: async (uid: string) => ({ id: uid }) } as unknown as OrgUnitReader,
    products: () => loadDhis2Products({}),
    program: () => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', spec),
  });
  const err = await (async () => {
    for await (const page of feed.completed('2026-12-01T09:50:00.000', 2)) t.fail(`no page expected: ${page}`);
  })().catch((e) => e);
  t.equal(err?.status, 502, "not the client's fault");
  t.match(err?.message, /GET \/api\/tracker\/events answered no events page/);
});

t.test('the overlap: a mark moved back in its own notation', async (t) => {
  t.equal(earlier('2026-12-01T10:00:00.000', 10 * 60_000), '2026-12-01T09:50:00.000', 'DHIS2: no zone');
  t.equal(earlier('2026-12-01T00:05:00.000Z', 10 * 60_000), '2026-11-30T23:55:00.000Z', 'Open mSupply: Z kept');
  t.equal(earlier('garbage', 1000), 'garbage', 'an unreadable mark is left as it is');
});

t.test('dhis2.rtsItemCode=msupply: requisition quantities keyed by Open mSupply item codes', async (t) => {
  const p = parseRequisitionProgram(
    'LkRequisitn',
    'LkReqStage1',
    'AMX250T=LkReqAmx250,ORS205S=LkReqOrs020,EM_ZNC20=LkReqZnc020',
  );
  const products = loadDhis2Products({ 'dhis2.rtsItemCode': 'msupply' });
  const ou = { id: 'LkHc0000101', code: 'LK-HC-101', name: 'Mberewa Health Centre' };
  const event = (values: Record<string, string>) => ({
    event: 'EvMs0000001',
    orgUnit: ou.id,
    occurredAt: '2026-11-28T09:00:00.000',
    updatedAt: '2026-11-28T09:05:00.000',
    dataValues: Object.entries(values).map(([dataElement, value]) => ({ dataElement, value })),
  });
  const order = toOrder(event({ LkReqAmx250: '300', LkReqOrs020: '50' }), ou, p, products);
  t.notOk('reason' in order, 'an order');
  t.same(
    'lines' in order ? order.lines.map((l) => [l.product.code, l.quantity.value]) : [],
    [
      ['10860012300058', 300],
      ['10860012300072', 50],
    ],
    'each mSupply item code read as its catalogue product',
  );
  // a DHIS2 code is not an mSupply code: the event is skipped with why, never read as another item
  t.match(toOrder(event({ LkReqZnc020: '10' }), ou, p, products), {
    event: 'EvMs0000001',
    reason: /item EM_ZNC20 is not in products.json under the code dhis2.rtsItemCode names items by/,
  });
  t.match(
    toOrder(event({ LkReqZnc020: '10' }), ou, p, loadDhis2Products({})),
    { lines: [{ product: { code: '10860012300089' } }] },
    'the same key under the default (dhis2) is a product',
  );
});
