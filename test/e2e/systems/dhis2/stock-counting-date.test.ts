/**
 * A count made late on 31 March and synced the next morning, with no reportingPeriod: the LMIS
 * records it on its countingDateTime (31 March, the client's own calendar day), so DHIS2 gets it as
 * March's stock on hand too, not April's by reportedDateTime. Counts of one report dated in two
 * months are a 422, nothing written. Through the real mediator and the DHIS2 sandbox, both engines.
 */
import t from 'tap';
import { startDhis2RigOn, STOCK_TO_DHIS2 } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const CONDOM = '10860012300034';

const count = (id: string, location: string, listings: [string, number][]) => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType: 'snapshot',
  reportedDateTime: '2024-04-01T08:10:00+02:00',
  inventoryListing: listings.map(([countingDateTime, value]) => ({
    location: { reference: `Location/${location}` },
    countingDateTime,
    item: [
      {
        item: { concept: { coding: [{ system: GTIN, code: CONDOM }] } },
        quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
      },
    ],
  })),
});

for (const engine of engineCases())
  t.test(`${engine.name}: a count goes to the period it was made in`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2);
    const sb = rig.dhis2.state;
    const hc = sb.summary().orgUnits['LK-HC-101'];
    const soh = [...sb.dataElements.values()].find((d) => d.code === 'FP_CNDM_SOH')!.id;
    const stored = () =>
      [...sb.dataValues.values()].filter((v) => v.dataElement === soh).map((v) => `${v.period}=${v.value}`);

    const late = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      count('C-1', hc, [['2024-03-31T23:30:00+02:00', 41]]),
    );
    t.equal(late.status, 201, JSON.stringify(late.body?.issue));
    t.same(stored(), ['202403=41'], "March's stock on hand, as counted");

    const split = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      count('C-2', hc, [
        ['2024-03-31T18:00:00+02:00', 40],
        ['2024-04-01T07:00:00+02:00', 39],
      ]),
    );
    t.equal(split.status, 422, 'counts of two months in one report');
    t.match(split.body?.issue?.[0]?.diagnostics, /202403 and 202404/);
    t.same(stored(), ['202403=41'], 'nothing written');
  });
