/**
 * A `difference` InventoryReport is a change in the period: DHIS2's consumption, receipts and
 * adjustments data values are the period's totals, so two adjustments of one org unit, product and
 * month add up (-3 then -5 is -8), never the second replacing the first. The total DHIS2 held is
 * read once and journalled: a write whose answer was lost is sent again with the same total, never
 * adding twice. Through the real mediator and the DHIS2 sandbox, both store engines.
 */
import t from 'tap';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const MEASURE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/CodeSystem/dhis2-stock-measure';
const CONDOM = '10860012300034';
const FLOWS = { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } };

const report = (id: string, location: string, value: number, measure: string, day: string) => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType: 'difference',
  reportedDateTime: `2024-03-${day}T09:00:00Z`,
  inventoryListing: [
    {
      location: { reference: `Location/${location}` },
      item: [
        {
          category: { coding: [{ system: MEASURE_SYSTEM, code: measure }] },
          item: { concept: { coding: [{ system: GTIN, code: CONDOM }] } },
          quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
        },
      ],
    },
  ],
});

for (const engine of engineCases())
  t.test(`${engine.name}: differences add to the period's totals`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, FLOWS);
    const sb = rig.dhis2.state;
    const hc = sb.summary().orgUnits['LK-HC-101'];
    const de = (code: string) => [...sb.dataElements.values()].find((d: any) => d.code === code)!.id;
    const stored = (code: string) =>
      [...sb.dataValues.values()]
        .filter((v: any) => v.dataElement === de(code) && v.period === '202403')
        .map((v: any) => v.value);

    for (const [id, value, measure, day] of [
      ['ADJ-1', -3, 'adjustments', '05'],
      ['ADJ-2', -5, 'adjustments', '12'],
      ['CONS-1', 10, 'consumption', '05'],
      ['CONS-2', 7, 'consumption', '19'],
    ] as const) {
      const r = await rig.fhir('POST', '/fhir/R5/InventoryReport', report(id, hc, value, measure, day));
      t.equal(r.status, 201, `${id}: ${JSON.stringify(r.body?.issue)}`);
    }
    t.same(stored('FP_CNDM_ADJ'), ['-8'], 'two adjustments of March are -8, not the last one');
    t.same(stored('FP_CNDM_CONS'), ['17'], 'consumption adds up');

    // the import lands but its answer is lost: a later attempt sends the same total, not the sum again
    rig.dhis2.faults.add({
      method: 'POST',
      path: '/api/dataValueSets',
      times: 1,
      action: { type: 'afterApply', answer: { type: 'reset' } },
    });
    // then DHIS2 fails for a while: the job is attempted again later by the outbox
    rig.dhis2.faults.add({
      method: 'POST',
      path: '/api/dataValueSets',
      times: 3,
      action: { type: 'status', status: 503 },
    });
    const lost = await rig.fhir('POST', '/fhir/R5/InventoryReport', report('ADJ-3', hc, -2, 'adjustments', '20'));
    t.ok([201, 202].includes(lost.status), JSON.stringify(lost.body?.issue));
    const end = Date.now() + 30_000;
    for (;;) {
      const again = await rig.fhir('POST', '/fhir/R5/InventoryReport', report('ADJ-3', hc, -2, 'adjustments', '20'));
      if (again.status === 200 || again.status === 201) break;
      if (Date.now() > end) throw new Error('the retried adjustment never settled');
      await new Promise((r) => setTimeout(r, 200));
    }
    t.same(stored('FP_CNDM_ADJ'), ['-10'], 'added once');
  });
