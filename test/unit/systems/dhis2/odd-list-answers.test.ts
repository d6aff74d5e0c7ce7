/**
 * DHIS2 reads answered 2xx with something DHIS2 never answers them with: a 204 No Content, or a
 * gateway's JSON page (`{"message": …}`) in place of the list or object asked. Found by review
 * (session 34's "Left", then HB's audit): each was read as "nothing there":
 * - the RTS "deliver to" data element without its option set let any destination through, and
 *   DHIS2 refused the event (E1125): the write dropped;
 * - the RTS use cases (a datastore list) read as none: every RTS write refused for good;
 * - a job's notifications answered 204 marked the job seen, so a later `[]` (DHIS2 listing
 *   nothing yet) read as a forgotten job and the import was sent again;
 * - a job's report answered 204 sent the finished import again;
 * - an org unit looked up by its code answered by a page was "not in DHIS2";
 * - a data set answered by a page gave the period type "undefined" until a reconfigure;
 * - a data value read answered 204 failed as a TypeError;
 * - system/info answered by a JSON page: the newest version in the UTC zone, for the life of the
 *   process (a server west of UTC had its feeds skip hours of changes).
 * Now each is transient and read again (page-answer.ts). Connector + sandbox.
 */
import t, { type Test } from 'tap';
import { isTransient } from '../../../../src/domain/index.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { RTS_TRANSACTION_SYSTEM } from '../../../../src/systems/dhis2/rts.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { RTS } from '../../../../sandbox/dhis2/index.js';
import { consignmentEvents } from '../../../support/dhis2-consignment-events.js';
import { amnesiacJournal, startHarness, type Harness } from './harness.js';
import { CONDOM, stockFor } from './rts-stock.js';

const NO_CONTENT = { type: 'status', status: 204, body: '' } as const;
const GATEWAY_PAGE = { type: 'status', status: 200, body: { message: 'Service under maintenance' } } as const;

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, got a result');
}

async function rts(t: Test): Promise<Harness> {
  const h = await startHarness({}, { 'dhis2.rtsProgram': RTS.program, 'dhis2.stockTarget': 'rts' });
  t.teardown(h.close);
  return h;
}

const distribution = (facility: string, display: string): StockReport => ({
  status: 'active',
  countType: 'difference',
  operation: 'subtraction',
  reportedAt: '2024-03-26T09:00:00Z',
  reason: { system: RTS_TRANSACTION_SYSTEM, code: 'distributed', display },
  facility: { id: facility },
  lines: [{ product: CONDOM, quantity: { value: -5, unit: 'dispensing-unit' } }],
});

for (const [answer, action, words] of [
  ['204', NO_CONTENT, /answered 204 without a body/],
  ['a JSON page', GATEWAY_PAGE, /answered 200 without the id asked/],
] as const) {
  t.test(`the 'deliver to' data element answered ${answer}: held, then sent as its option code`, async (t) => {
    const h = await rts(t);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
    const stock = stockFor(h);
    const rule = h.sandbox.faults.add({ method: 'GET', path: `/api/dataElements/${RTS.distributedTo}`, action });
    const err = await failure(stock.report(distribution(hc, 'school health programme'), amnesiacJournal('d-odd')));
    t.ok(isTransient(err), `held, not refused: ${err.message}`);
    t.match(err.message, words);
    t.notMatch(err.message, /maintenance/, 'the page is not quoted');
    t.equal(h.sandbox.state.count('POST', '/api/tracker'), 0, 'nothing sent to DHIS2');
    h.sandbox.faults.remove(rule.id);
    const done = await stock.report(distribution(hc, 'school health programme'), amnesiacJournal('d-odd'));
    const event = h.sandbox.tracker.events.get(Object.values(done.ids)[0])!;
    t.equal(event.dataValues.find((d) => d.dataElement === RTS.distributedTo)?.value, 'SCHOOL', "the option's code");
  });
}

for (const [answer, action, words] of [
  ['204', NO_CONTENT, /answered 204 without a body/],
  ['a JSON page', GATEWAY_PAGE, /answered 200 without a list/],
] as const) {
  t.test(`the RTS use cases answered ${answer}: held, not "not a stock use case"`, async (t) => {
    const h = await rts(t);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
    const stock = stockFor(h);
    const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/dataStore/USE_CASES/stockUseCases', action });
    const err = await failure(stock.report(distribution(hc, 'SCHOOL'), amnesiacJournal('u-odd')));
    t.ok(isTransient(err), `held, not refused: ${err.message}`);
    t.match(err.message, words);
    t.equal(h.sandbox.state.count('POST', '/api/tracker'), 0, 'nothing sent to DHIS2');
    h.sandbox.faults.remove(rule.id);
    const done = await stock.report(distribution(hc, 'SCHOOL'), amnesiacJournal('u-odd'));
    t.equal(Object.keys(done.ids).length, 1, 'written once DHIS2 answers');
  });
}

t.test("a job's notifications answered 204 once: read again, the job is not taken for forgotten", async (t) => {
  const h = await startHarness(
    { version: '2.41.3', jobDelayMs: 1 },
    { 'dhis2.trackerAsyncThreshold': 1, 'dhis2.jobPollMs': 5, 'dhis2.jobTimeoutMs': 4_000 },
  );
  t.teardown(h.close);
  // one 204, then DHIS2 lists nothing for the job (as after a restart): its events are looked for
  h.sandbox.faults.add({ method: 'GET', path: '/api/tracker/jobs/*', action: NO_CONTENT, times: 1 });
  h.sandbox.faults.add({
    method: 'GET',
    path: '/api/tracker/jobs/*',
    action: { type: 'status', status: 200, body: [] },
  });
  const events = consignmentEvents(h, 2, 'Ln', { reference: false });
  const result = await postTrackerEvents(h.client, events);
  t.match(result, { status: 'OK', errors: [], message: /its events were found/ });
  t.equal(h.sandbox.state.count('POST', '/api/tracker'), 1, 'one import, not two');
});

t.test("a job's report answered 204 once: read again, the import is not sent again", async (t) => {
  const h = await startHarness(
    { version: '2.41.3', jobDelayMs: 1 },
    { 'dhis2.trackerAsyncThreshold': 1, 'dhis2.jobPollMs': 5, 'dhis2.jobTimeoutMs': 4_000 },
  );
  t.teardown(h.close);
  const rule = h.sandbox.faults.add({
    method: 'GET',
    path: '/api/tracker/jobs/*/report',
    action: NO_CONTENT,
    times: 1,
  });
  const events = consignmentEvents(h, 2, 'Lr', { reference: false });
  const result = await postTrackerEvents(h.client, events);
  t.match(result, { status: 'OK', created: 2, errors: [] });
  t.equal(h.sandbox.faults.list().find((r) => r.id === rule.id)?.hits, 1, 'the 204 was answered');
  t.equal(h.sandbox.state.count('POST', '/api/tracker'), 1, 'one import, not two');
});

for (const [answer, action, words] of [
  ['204', NO_CONTENT, /answered 204 without a body/],
  ['a JSON page', GATEWAY_PAGE, /answered 200 without 'organisationUnits'/],
] as const) {
  t.test(`an org unit looked up by code answered ${answer}: held, not "no such code"`, async (t) => {
    const h = await startHarness({ version: '2.41.3' });
    t.teardown(h.close);
    const reader = createOrgUnitReader(h.client);
    const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/organisationUnits', action });
    const err = await failure(reader.byCode('LK-HC-101'));
    t.ok(isTransient(err), `held: ${err.message}`);
    t.match(err.message, words);
    h.sandbox.faults.remove(rule.id);
    t.equal((await reader.byCode('LK-HC-101'))?.id, h.sandbox.state.summary().orgUnits['LK-HC-101']);
  });
}

t.test('the data set answered by a JSON page: held, never the period type "undefined"', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(h.close);
  const stock = stockFor(h);
  const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/dataSets/LkStockMnth', action: GATEWAY_PAGE });
  const err = await failure(stock.periodType());
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /answered 200 without the id asked/);
  h.sandbox.faults.remove(rule.id);
  t.equal(await stock.periodType(), 'Monthly', 'read again, not kept');
});

t.test('a data value read answered 204: held, not a crash', async (t) => {
  const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(h.close);
  const stock = stockFor(h);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  const search = () =>
    stock.search({ facility: hc, date: [{ from: '2024-01-01T00:00:00Z', to: '2024-01-31T23:59:59Z' }] });
  const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/dataValueSets', action: NO_CONTENT });
  const err = await failure(search());
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /GET \/api\/dataValueSets answered 204 without a body/);
  h.sandbox.faults.remove(rule.id);
  t.ok(Array.isArray((await search()).items), 'read once DHIS2 answers');
});

t.test('system/info answered by a JSON page: held, never "the newest server in UTC"', async (t) => {
  const h = await startHarness({ version: '2.39.1', timeZone: 'America/Port-au-Prince' });
  t.teardown(h.close);
  const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/system/info', action: GATEWAY_PAGE });
  const err = await failure(h.client.serverZone());
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /system\/info answered 200 without the version/);
  h.sandbox.faults.remove(rule.id);
  t.equal(await h.client.serverZone(), 'America/Port-au-Prince', 'asked again, not kept');
  t.equal((await h.client.version())?.major, 39);
});
