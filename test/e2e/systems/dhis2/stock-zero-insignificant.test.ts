/**
 * DHIS2 keeps no zero for a data element whose `zeroIsSignificant` is false (dhis2-core
 * ValidationUtils.dataValueIsZeroAndInsignificant): the import skips it, counts it `ignored`, and
 * the value stored before stays. A stock-out counted as 0 stock on hand would vanish behind last
 * month's stock: refused with a 422 naming the data element and the setting, nothing written. A
 * zero consumption to such a data element is what DHIS2 means by no value: any earlier value is
 * deleted, and the answer says the zero is not stored. Through the real mediator and the DHIS2
 * sandbox, both store engines.
 */
import t from 'tap';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const MEASURE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/CodeSystem/dhis2-stock-measure';
const CONDOM = '10860012300034';
const FLOWS = { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } };

const report = (id: string, location: string, value: number, measure?: string) => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType: 'snapshot',
  reportedDateTime: '2024-03-20T09:00:00Z',
  inventoryListing: [
    {
      location: { reference: `Location/${location}` },
      item: [
        {
          ...(measure ? { category: { coding: [{ system: MEASURE_SYSTEM, code: measure }] } } : {}),
          item: { concept: { coding: [{ system: GTIN, code: CONDOM }] } },
          quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
        },
      ],
    },
  ],
});

for (const engine of engineCases())
  t.test(`${engine.name}: a zero DHIS2 would not keep`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, FLOWS);
    const sb = rig.dhis2.state;
    const hc = sb.summary().orgUnits['LK-HC-101'];
    const de = (code: string) => [...sb.dataElements.values()].find((d: any) => d.code === code)!;
    const stored = (code: string) =>
      [...sb.dataValues.values()].filter((v: any) => v.dataElement === de(code).id).map((v: any) => v.value);

    const before = await rig.fhir('POST', '/fhir/R5/InventoryReport', report('Z-1', hc, 41));
    t.equal(before.status, 201, JSON.stringify(before.body?.issue));
    const consumed = await rig.fhir('POST', '/fhir/R5/InventoryReport', report('Z-2', hc, 12, 'consumption'));
    t.equal(consumed.status, 201, JSON.stringify(consumed.body?.issue));
    t.same(stored('FP_CNDM_SOH'), ['41']);
    t.same(stored('FP_CNDM_CONS'), ['12']);
    de('FP_CNDM_SOH').zeroIsSignificant = false;
    de('FP_CNDM_CONS').zeroIsSignificant = false;

    const stockOut = await rig.fhir('POST', '/fhir/R5/InventoryReport', report('Z-3', hc, 0));
    t.equal(stockOut.status, 422, 'a stock-out DHIS2 would drop is refused');
    const issue = stockOut.body?.issue?.[0];
    t.match(issue?.diagnostics, /FP_CNDM_SOH/, 'names the data element');
    t.match(issue?.diagnostics, /zeroIsSignificant|zero is significant/i, 'names the setting to change');
    t.match(issue?.expression?.[0] ?? '', /StockReport\.lines\[0\]|InventoryReport/, 'points at the line');
    t.same(stored('FP_CNDM_SOH'), ['41'], 'nothing written');

    const none = await rig.fhir('POST', '/fhir/R5/InventoryReport', report('Z-4', hc, 0, 'consumption'));
    t.equal(none.status, 201, JSON.stringify(none.body?.issue));
    t.same(stored('FP_CNDM_CONS'), [], 'the earlier consumption is not left standing for a zero');
  });
