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
import { createRequisitionFeed, parseRequisitionProgram } from '../../../src/systems/dhis2/requisitions.js';
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
    /'EM_ORS=short' is not <product DHIS2 code>=<data element UID>/,
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
    const client = {
      call: async (req: { query: Record<string, unknown> }) => {
        asked.push(req.query);
        const page = Number(req.query.page);
        return { pager: { page, pageSize: 2, pageCount: pages.length }, events: pages[page - 1] };
      },
      // a current server: orders by the tracker names (2.36–2.37 take the stored ones)
      features: async () => featuresOf(parseVersion('2.41.3')),
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
    t.equal(read.length, 2, 'two pages');
    t.match(asked[0], {
      program: 'LkRequisitn',
      programStage: 'LkReqStage1',
      status: 'COMPLETED',
      order: 'updatedAt:asc',
      updatedAfter: '2026-12-01T09:50:00.000',
    });
    t.same(
      read.map((p) => p.highWater),
      ['2026-12-01T10:00:01.000', '2026-12-01T10:00:03.000'],
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
      [...read[0].skipped, ...read[1].skipped],
      [
        {
          event: 'EvNoCode001',
          reason: 'org unit OuNoCode001 has no code: mSupply finds a facility by its org unit code',
        },
        { event: 'EvBadQty001', reason: `data element ${ORS} (EM_ORS) holds '2.5', not a whole number of units` },
        { event: 'EvNothing01', reason: 'no product has a quantity above zero' },
      ],
    );
  },
);

t.test('the overlap: a mark moved back in its own notation', async (t) => {
  t.equal(earlier('2026-12-01T10:00:00.000', 10 * 60_000), '2026-12-01T09:50:00.000', 'DHIS2: no zone');
  t.equal(earlier('2026-12-01T00:05:00.000Z', 10 * 60_000), '2026-11-30T23:55:00.000Z', 'Open mSupply: Z kept');
  t.equal(earlier('garbage', 1000), 'garbage', 'an unreadable mark is left as it is');
});
