/**
 * An import answered 200 with something that is not DHIS2's summary or report (a proxy's login
 * page, a body cut short, a WebMessage with no summary): whether the values or events landed is
 * unknown, as after a dropped connection, and the client's input is not at fault. So the write
 * fails transiently and the outbox posts it again (idempotent: the same values, the same event
 * UIDs), never a 422 refusal that frees the key and tells the client its report was wrong.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { LOGIN_PAGE, loginPageOnce, memoryJournal, startHarness, type Harness } from './harness.js';

const CONDOM = { system: 'https://www.gs1.org/gtin', code: '10860012300034' };
const report = (value: number): StockReport => ({
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2024-02-03T10:00:00Z',
  period: { start: '2024-01-01T00:00:00Z', end: '2024-01-31T23:59:59Z' },
  facility: {
    identifier: {
      system: 'http://fhir-supply-mediator.org/fhir/identifier/openlmis-facility-code',
      value: 'LK-HC-101',
    },
  },
  lines: [{ product: CONDOM, quantity: { value, unit: 'dispensing-unit' } }],
});
function stockFor(h: Harness) {
  const products = loadDhis2Products({});
  return createStockCapability({ client: h.client, reader: createOrgUnitReader(h.client), products: () => products });
}
const stored = (h: Harness) => {
  const s = h.sandbox.state.summary();
  return h.sandbox.state.dataValues.get(
    h.sandbox.state.valueKey({
      dataElement: s.dataElements.FP_CNDM_SOH,
      period: '202401',
      orgUnit: s.orgUnits['LK-HC-101'],
      categoryOptionCombo: 'HllvX50cXC0',
      attributeOptionCombo: 'HllvX50cXC0',
    }),
  )?.value;
};

t.test('data values answered by a login page: transient, the retry stores them', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(() => h.close());
  loginPageOnce(h, 'POST', '/api/dataValueSets');
  const stock = stockFor(h);
  const journal = memoryJournal();
  const err = await stock.report(report(10), journal).catch((e) => e);
  t.equal(err.transient, true, `retried, not refused: ${err.message}`);
  t.not(err.status, 422, 'not a refusal of the report');
  t.equal(stored(h), undefined, 'nothing reached DHIS2');
  await stock.report(report(10), journal);
  t.equal(stored(h), '10', 'the retry stored the value');
});

t.test('a read before the import answered by a login page: transient, never a refusal of the report', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(() => h.close());
  // the harness client retries once: both answers are the page, so the attempt fails
  h.sandbox.faults.add({
    method: 'GET',
    path: '/api/organisationUnits',
    action: { type: 'status', status: 200, body: LOGIN_PAGE },
    times: 2,
  });
  const stock = stockFor(h);
  const journal = memoryJournal();
  const err = await stock.report(report(10), journal).catch((e) => e);
  t.equal(err.transient, true, `retried, not refused: ${err.message}`);
  t.notMatch(err.message, /Sign in|<html/, 'the page is not quoted');
  await stock.report(report(10), journal);
  t.equal(stored(h), '10', 'the retry stored the value');
});
t.test(
  'data values applied, the answer a WebMessage without a summary: transient, the retry is harmless',
  async (t) => {
    const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
    t.teardown(() => h.close());
    h.sandbox.faults.add({
      method: 'POST',
      path: '/api/dataValueSets',
      action: { type: 'afterApply', answer: { type: 'status', status: 200 } },
      times: 1,
    });
    const stock = stockFor(h);
    const journal = memoryJournal();
    const err = await stock.report(report(12), journal).catch((e) => e);
    t.equal(err.transient, true, err.message);
    t.equal(stored(h), '12', 'DHIS2 applied it');
    await stock.report(report(12), journal);
    t.equal(stored(h), '12', 'the same value again');
  },
);

t.test('a tracker import answered by a login page: transient', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.close());
  loginPageOnce(h, 'POST', '/api/tracker');
  const err = await postTrackerEvents(h.client, [{ event: 'Abcdefghij1' }]).catch((e) => e);
  t.equal(err.transient, true, err.message);
});

t.test('a 409 without a summary stays a refusal: DHIS2 itself said no', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(() => h.close());
  h.sandbox.faults.add({
    method: 'POST',
    path: '/api/dataValueSets',
    action: { type: 'status', status: 409 },
    times: 1,
  });
  const err = await stockFor(h)
    .report(report(10), memoryJournal())
    .catch((e) => e);
  t.equal(err.transient, false, err.message);
});
