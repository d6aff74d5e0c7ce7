/**
 * A reporting period given by its end only is the period that end falls in: a March count
 * reported on 2 April with `reportingPeriod.end` 31 March is March's value in DHIS2 (202403),
 * not April's, which the report date alone would give. Through the real mediator and the DHIS2
 * sandbox, both store engines.
 */
import t from 'tap';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { marchStockCount } from '../../../support/march-stock-count.js';

/** The March count of condoms (support/march-stock-count.ts), reported from UTC+3 for `reportingPeriod`. */
const report = (id: string, location: string, value: number, reportingPeriod: { end: string }) => ({
  ...marchStockCount(location, id, value),
  reportedDateTime: '2024-04-02T09:00:00+03:00',
  reportingPeriod,
});

for (const engine of engineCases())
  t.test(`${engine.name}: a period given by its end is the period of that end`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } });
    const location = rig.dhis2.state.summary().orgUnits['LK-HC-101'];
    const periods = () => [...rig.dhis2.state.dataValues.values()].map((v: any) => `${v.period}=${v.value}`);

    const march = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      report('END-2024-03', location, 41, { end: '2024-03-31T23:59:59+03:00' }),
    );
    t.equal(march.status, 201, JSON.stringify(march.body?.issue));
    t.same(periods(), ['202403=41'], "March's count is March's value, April untouched");
  });
