/**
 * RTS records distributions and discards as stock going out. A difference line that adds stock
 * (operation `addition`, or a positive change with no operation) under one of those reasons says
 * two things at once: it is a 422 at the line's quantity, nothing sent, never a distribution of
 * stock that came in. Through the real mediator and the DHIS2 sandbox, both store engines.
 */
import t from 'tap';
import { RTS } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const CONDOM = '10860012300034';

const change = (id: string, location: string, value: number, operation?: 'addition' | 'subtraction') => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType: 'difference',
  ...(operation ? { operationType: { coding: [{ code: operation, display: operation }] } } : {}),
  operationTypeReason: { coding: [{ code: 'distributed', display: 'distributed' }] },
  reportedDateTime: '2024-03-25T09:00:00Z',
  inventoryListing: [
    {
      location: { reference: `Location/${location}` },
      item: [
        {
          item: { concept: { coding: [{ system: GTIN, code: CONDOM }] } },
          quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
        },
      ],
    },
  ],
});

for (const engine of engineCases())
  t.test(`${engine.name}: a distribution that adds stock is refused`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(
      t,
      engine,
      { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } },
      { DHIS2_DATA_SET: '', DHIS2_RTS_PROGRAM: RTS.program, DHIS2_STOCK_TARGET: 'rts' },
    );
    const hc = rig.dhis2.state.summary().orgUnits['LK-HC-101'];
    const events = rig.dhis2.tracker.events.size;

    for (const [id, value, operation] of [
      ['RTS-ADD-1', 50, 'addition'],
      ['RTS-ADD-2', 50, undefined],
    ] as const) {
      const refused = await rig.fhir('POST', '/fhir/R5/InventoryReport', change(id, hc, value, operation));
      t.equal(refused.status, 422, `${id}: ${JSON.stringify(refused.body?.issue)}`);
      t.same(refused.body.issue?.[0]?.expression, ['InventoryReport.inventoryListing[0].item[0].quantity'], id);
      t.match(refused.body.issue?.[0]?.diagnostics, /distributed.*takes stock out/, id);
    }
    t.equal(rig.dhis2.tracker.events.size, events, 'nothing sent');

    const out = await rig.fhir('POST', '/fhir/R5/InventoryReport', change('RTS-OUT-1', hc, 50, 'subtraction'));
    t.equal(out.status, 201, JSON.stringify(out.body?.issue));
    const negative = await rig.fhir('POST', '/fhir/R5/InventoryReport', change('RTS-OUT-2', hc, -20));
    t.equal(negative.status, 201, JSON.stringify(negative.body?.issue));
    const sent = [...rig.dhis2.tracker.events.values()]
      .map((e) => e.dataValues.find((d) => d.dataElement === RTS.stockDistributed)?.value)
      .filter(Boolean);
    t.same(sent.slice(-2), ['50', '20'], 'subtractions are distributions of their size');
  });
