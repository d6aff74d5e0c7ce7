/**
 * A report written to a data set of any period type the mediator writes reads back with its
 * period: by the id of the org unit's period, its reportingPeriod the DHIS2 period's first and
 * last instant. BiMonthly (202402B: March–April) and SixMonthly (2024S1) included,
 * not only the types the stock bridge sends. Through the real mediator and the DHIS2 sandbox.
 */
import t from 'tap';
import { dataValueSetReportId } from '../../../../src/systems/dhis2/stock-report-id.js';
import { startDhis2Rig } from '../../../support/dhis2-e2e.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const CONDOM = '10860012300034';

const report = (id: string, location: string, value: number) => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType: 'snapshot',
  reportedDateTime: '2024-04-10T09:00:00Z',
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

const CASES = [
  { type: 'BiMonthly', period: '202402B', start: '2024-03-01T00:00:00.000Z', end: '2024-04-30T23:59:59.999Z' },
  { type: 'SixMonthly', period: '2024S1', start: '2024-01-01T00:00:00.000Z', end: '2024-06-30T23:59:59.999Z' },
];

for (const c of CASES)
  t.test(`a ${c.type} data set's report reads back with its period`, async (t) => {
    const rig = await startDhis2Rig({ stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } });
    t.teardown(() => rig.close());
    rig.dhis2.state.dataSets.get('LkStockMnth')!.periodType = c.type;
    const location = rig.dhis2.state.summary().orgUnits['LK-HC-101'];

    const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', report(`HC101-${c.period}`, location, 41));
    t.equal(posted.status, 201, JSON.stringify(posted.body?.issue ?? posted.body).slice(0, 400));
    t.same(
      [...rig.dhis2.state.dataValues.values()].map((v: any) => `${v.period}=${v.value}`),
      [`${c.period}=41`],
    );

    // the id a search gives the org unit's period (the sandbox's startDate/endDate filter compares
    // period ids as text, so the period is read by its id here, as DHIS2 is asked for it)
    const byId = await rig.fhir('GET', `/fhir/R5/InventoryReport/${dataValueSetReportId(location, c.period)}`);
    t.equal(byId.status, 200, JSON.stringify(byId.body).slice(0, 300));
    t.same(byId.body.reportingPeriod, { start: c.start, end: c.end });
    t.equal(byId.body.inventoryListing?.[0]?.item?.[0]?.quantity?.value, 41);
  });
