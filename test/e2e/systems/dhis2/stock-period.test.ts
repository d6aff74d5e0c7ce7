/**
 * Which DHIS2 period an InventoryReport lands in, through the real mediator: the facility's own
 * calendar (a March report written at UTC+3 is March, not February), and a reporting period that
 * spans two periods of the data set's type is a 422 at InventoryReport.reportingPeriod with
 * nothing sent (DHIS2 keeps one value per period: it would be written as the first one's).
 */
import t from 'tap';
import { startDhis2Rig } from '../../../support/dhis2-e2e.js';
import { marchStockCount } from '../../../support/march-stock-count.js';

/** The March count of condoms (support/march-stock-count.ts), reported from UTC+3 for `reportingPeriod`. */
const report = (id: string, location: string, value: number, reportingPeriod: { start: string; end: string }) => ({
  ...marchStockCount(location, id, value),
  reportedDateTime: '2024-04-02T09:00:00+03:00',
  reportingPeriod,
});

t.test('a report lands in the period of the facility calendar; two periods are refused', async (t) => {
  const rig = await startDhis2Rig({ stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } });
  t.teardown(() => rig.close());
  const found = await rig.fhir('GET', '/fhir/Location?identifier=LK-HC-101');
  const location = found.body.entry[0].resource.id;
  const periods = () => [...rig.dhis2.state.dataValues.values()].map((v: any) => `${v.period}=${v.value}`);

  const nairobi = await rig.fhir(
    'POST',
    '/fhir/R5/InventoryReport',
    report('EAT-2024-03', location, 41, { start: '2024-03-01T00:00:00+03:00', end: '2024-03-31T23:59:59+03:00' }),
  );
  t.equal(nairobi.status, 201, JSON.stringify(nairobi.body?.issue));
  t.same(periods(), ['202403=41'], "March's report is March's value, February untouched");

  const two = await rig.fhir(
    'POST',
    '/fhir/R5/InventoryReport',
    report('Q-2024-04', location, 99, { start: '2024-04-01T00:00:00Z', end: '2024-05-31T23:59:59Z' }),
  );
  t.equal(two.status, 422, JSON.stringify(two.body?.issue));
  t.same(two.body.issue[0].expression, ['InventoryReport.reportingPeriod']);
  t.match(two.body.issue[0].diagnostics, /spans DHIS2 periods 202404 to 202405/);
  t.same(periods(), ['202403=41'], 'nothing sent');
});
