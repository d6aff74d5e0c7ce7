/**
 * GET /api/dataValueSets answered 200 by a gateway's JSON page (`{"message": …}`): found by review
 * RB of HB's work, which held a 204 there but read the page as "DHIS2 holds no values". A
 * difference report adds to the period totals that read gives: it wrote its own quantity over
 * DHIS2's total (200 received, then 50 more, stored 50), and a search answered the page as no
 * stock. DHIS2's own empty answer has no `dataValues` either (its streaming writer opens the list
 * at the first value: `{}` or the header alone), so that one must still read as no values.
 * Connector + sandbox.
 */
import t, { type Test } from 'tap';
import { isTransient } from '../../../../src/domain/index.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { amnesiacJournal, startHarness, type Harness } from './harness.js';

const ORS = { system: 'https://www.gs1.org/gtin', code: '10860012300072' };
const GATEWAY_PAGE = { type: 'status', status: 200, body: { message: 'Service under maintenance' } } as const;

const received = (value: number): StockReport => ({
  status: 'active',
  countType: 'difference',
  reportedAt: '2024-02-03T10:00:00Z',
  period: { start: '2024-01-01T00:00:00Z', end: '2024-01-31T23:59:59Z' },
  facility: {
    identifier: {
      system: 'http://fhir-supply-mediator.org/fhir/identifier/openlmis-facility-code',
      value: 'LK-HC-101',
    },
  },
  lines: [{ product: ORS, quantity: { value, unit: 'dispensing-unit' }, reason: { code: 'received' } }],
});

async function harness(t: Test) {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(h.close);
  const products = loadDhis2Products({});
  const stock = createStockCapability({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
  });
  return { h, stock };
}

const storedReceived = (h: Harness) => {
  const s = h.sandbox.state.summary();
  return h.sandbox.state.dataValues.get(
    h.sandbox.state.valueKey({
      dataElement: s.dataElements.EM_ORS_RCVD,
      period: '202401',
      orgUnit: s.orgUnits['LK-HC-101'],
      categoryOptionCombo: 'HllvX50cXC0',
      attributeOptionCombo: 'HllvX50cXC0',
    }),
  )?.value;
};

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, got a result');
}

t.test("a difference report whose period totals are a gateway's page: held, never added to nothing", async (t) => {
  const { h, stock } = await harness(t);
  await stock.report(received(200), amnesiacJournal('first'));
  t.equal(storedReceived(h), '200');
  const posts = h.sandbox.state.count('POST', '/api/dataValueSets');
  const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/dataValueSets', action: GATEWAY_PAGE });
  const err = await failure(stock.report(received(50), amnesiacJournal('second')));
  t.ok(isTransient(err), `held, not written: ${err.message}`);
  t.match(err.message, /GET \/api\/dataValueSets answered 200 without 'dataValues'/);
  t.notMatch(err.message, /maintenance/, 'the page is not quoted');
  t.equal(h.sandbox.state.count('POST', '/api/dataValueSets'), posts, 'nothing sent to DHIS2');
  t.equal(storedReceived(h), '200', "DHIS2's total kept");
  h.sandbox.faults.remove(rule.id);
  await stock.report(received(50), amnesiacJournal('second'));
  t.equal(storedReceived(h), '250', 'added to the total once DHIS2 answers');
});

t.test("a stock search answered by a gateway's page: held, not a facility without stock", async (t) => {
  const { h, stock } = await harness(t);
  await stock.report(received(200), amnesiacJournal('first'));
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  const search = () =>
    stock.search({ facility: hc, date: [{ from: '2024-01-01T00:00:00Z', to: '2024-01-31T23:59:59Z' }] });
  const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/dataValueSets', action: GATEWAY_PAGE });
  const err = await failure(search());
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /answered 200 without 'dataValues'/);
  h.sandbox.faults.remove(rule.id);
  t.equal((await search()).items.length, 1, 'the period read once DHIS2 answers');
});

for (const [what, body] of [
  ['{}', {}],
  ['its header alone', { dataSet: 'LkStockMnth', period: '202401', orgUnit: 'x', dataElementIdScheme: 'CODE' }],
] as const) {
  t.test(`DHIS2's empty answer (${what}, no dataValues) still reads as no values`, async (t) => {
    const { h, stock } = await harness(t);
    h.sandbox.faults.add({
      method: 'GET',
      path: '/api/dataValueSets',
      action: { type: 'status', status: 200, body },
    });
    await stock.report(received(7), amnesiacJournal('empty'));
    t.equal(storedReceived(h), '7', 'added to no total');
  });
}
