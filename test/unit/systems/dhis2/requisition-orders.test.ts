import t from 'tap';
import { stableId } from '../../../../src/domain/ids.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createRequisitionOrders } from '../../../../src/systems/dhis2/requisition-orders.js';
import { parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { RTS_EVENT_SYSTEM } from '../../../../src/systems/dhis2/rts.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { REQUISITION, REQUISITION_DATA_ELEMENTS } from '../../../../sandbox/dhis2/index.js';
import { startHarness } from './harness.js';

/**
 * The RTS order program's requisition events read as orders (issue 11 leftover 5, the read side):
 * the bridge's decoding, each line under the FHIR edge's SupplyRequest id, completed events active
 * and open ones drafts; read by event UID or line id, searched by facility. Not yet wired into
 * the connector (routing would take it as a SupplyRequest writer).
 */
const GTIN = 'https://www.gs1.org/gtin';

t.test('requisition events as orders: search by facility, read by event or line id', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const ous = h.sandbox.state.summary().orgUnits;
  const q = REQUISITION.quantities;
  const ev = (event: string, orgUnit: string, status: string, values: Record<string, string>) => ({
    event,
    program: REQUISITION.program,
    programStage: REQUISITION.stage,
    orgUnit,
    occurredAt: '2024-06-03T08:00:00.000',
    status,
    dataValues: Object.entries(values).map(([code, value]) => ({ dataElement: q[code], value })),
  });
  const r = await postTrackerEvents(h.client, [
    ev('ReqSent0001', ous['LK-HC-101'], 'COMPLETED', { EM_ORS: '150', FP_CNDM: '0', EM_ZNC20: '40' }),
    ev('ReqOpen0001', ous['LK-HC-101'], 'ACTIVE', { FP_DMPA: '20' }),
    ev('ReqNone0001', ous['LK-HC-101'], 'COMPLETED', { EM_ORS: '0' }),
    ev('ReqElse0001', ous['LK-HC-102'], 'COMPLETED', { EM_ORS: '5' }),
  ]);
  t.equal(r.created, 4);
  const products = loadDhis2Products({});
  const program = parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS);
  const orders = createRequisitionOrders({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
    program: () => program,
  });

  const found = await orders.search({ facility: ous['LK-HC-101'] });
  t.same(
    found.items
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
  const sent = found.items.find((o) => o.orderNumber.value === 'ReqSent0001')!;
  t.same(sent.orderNumber, { system: RTS_EVENT_SYSTEM, value: 'ReqSent0001' });
  t.match(sent.facility, { id: ous['LK-HC-101'], identifier: { value: 'LK-HC-101' } });
  const orsLine = stableId('SupplyRequest', RTS_EVENT_SYSTEM, 'ReqSent0001', GTIN, '10860012300072');
  t.equal(sent.lines[0].lineId, orsLine, "each line under the FHIR edge's SupplyRequest id");

  t.same((await orders.get('ReqSent0001'))?.lines, sent.lines, 'read by event UID');
  t.equal((await orders.get(orsLine))?.orderNumber.value, 'ReqSent0001', 'read by line id');
  t.equal(await orders.get('NoSuchEvnt1'), undefined);
  t.equal(await orders.get('ReqNone0001'), undefined, 'an event that is no order');
  t.same(await orders.search({ facility: 'not-a-uid' }), { items: [] });
  t.equal((await orders.search({})).items.length, 3, 'every facility when none is named');
});
