/**
 * A write OpenMRS applied whose 2xx answer cannot be read (a proxy's login page in place of the
 * JSON, a body cut short): whether it landed is unknown, exactly as after a dropped connection.
 * So the attempt fails transiently, nothing is journaled from the unread answer, and the retry
 * looks first (by externalReference, the location's code, the operation's status): each write
 * lands once and the flow completes. Before, the create's uuid was journaled as "undefined" and
 * every attempt after it failed for good with a 404 on `stockoperation/undefined`. An action's
 * status is read back from the operation: the module answers an action with the action itself
 * (StockOperationActionResource.save returns its delegate), so its answer never says the status.
 */
import t, { type Test } from 'tap';
import { LOC, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import type { Facility } from '../../../../src/domain/index.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM } from '../../../../src/systems/openmrs/settings.js';
import { amoxicillinCountAtMwangaza, amoxicillinOrderForKilima } from '../../../support/openmrs-amoxicillin-writes.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const SM = '/openmrs/ws/rest/v1/stockmanagement';
const LOGIN_PAGE = '<!DOCTYPE html><html><head><title>Login</title></head><body>Sign in</body></html>';
const CUT_SHORT = '{"uuid":"';

async function setup(t: Test) {
  const { sb, c } = await sandboxConnector(t);
  return { sb, c };
}
type Sandbox = Awaited<ReturnType<typeof startOpenMrsSandbox>>;
const unreadable = (sb: Sandbox, path: string, body: string) =>
  sb.faults.add({
    method: 'POST',
    path,
    action: { type: 'afterApply', answer: { type: 'status', status: 200, body } },
    times: 1,
  });

const count = () => amoxicillinCountAtMwangaza('COUNT-UNREAD-1');
const order = () => amoxicillinOrderForKilima('ORD-UNREAD-1');
const clinic = (): Facility => ({
  name: 'Unread Answer Clinic',
  identifiers: [{ system: DEFAULT_REGISTRY_CODE_SYSTEM, value: 'SBX-90077' }],
  status: 'active',
  kind: 'facility',
  partOf: LOC.nairobiCounty,
});

t.test('a stocktake created behind a login page: transient, then completed once', async (t) => {
  const { sb, c } = await setup(t);
  unreadable(sb, `${SM}/stockoperation`, LOGIN_PAGE);
  const journal = memoryJournal();
  const first = await failure(c.stock!.report(count(), journal));
  t.equal(first.transient, true, `unknown outcome, retried: ${first.message}`);
  t.notOk(journal.steps.has('create-operation'), 'no uuid journaled from an answer that had none');
  const done = await c.stock!.report(count(), journal);
  t.equal(done.status, 'COMPLETED');
  t.same(sb.store.writes, {
    'stockoperation.create.stocktake': 1,
    'stockoperation.submit.stocktake': 1,
    'stockoperation.approve.stocktake': 1,
  });
});

t.test('a requisition whose create answer is cut short: transient, then one SUBMITTED requisition', async (t) => {
  const { sb, c } = await setup(t);
  unreadable(sb, `${SM}/stockoperation`, CUT_SHORT);
  const journal = memoryJournal();
  t.equal((await failure(c.orders!.submit(order(), journal))).transient, true);
  t.notOk(journal.steps.has('create-requisition'));
  const done = await c.orders!.submit(order(), journal);
  t.equal(done.status, 'active');
  const reqs = [...sb.stock.operations.values()].filter((o) => o.operationType === 'requisition');
  t.equal(reqs.length, 1, 'one requisition');
  t.equal(reqs[0].status, 'SUBMITTED');
  t.equal(done.ids.requisition, reqs[0].uuid);
});

t.test('an action answered by a login page: the status is read back from the operation, acted once', async (t) => {
  const { sb, c } = await setup(t);
  unreadable(sb, `${SM}/stockoperationaction`, LOGIN_PAGE);
  const done = await c.stock!.report(count(), memoryJournal());
  t.equal(done.status, 'COMPLETED', 'the status OpenMRS holds, never "undefined"');
  t.same(sb.store.writes, {
    'stockoperation.create.stocktake': 1,
    'stockoperation.submit.stocktake': 1,
    'stockoperation.approve.stocktake': 1,
  });
});

t.test('an action a proxy answered 200 without passing it on: transient, the retry acts once', async (t) => {
  const { sb, c } = await setup(t);
  sb.faults.add({
    method: 'POST',
    path: `${SM}/stockoperationaction`,
    action: { type: 'status', status: 200, body: LOGIN_PAGE },
    times: 1,
  });
  const journal = memoryJournal();
  const first = await failure(c.stock!.report(count(), journal));
  t.equal(first.transient, true, first.message);
  t.match(first.message, /still NEW after SUBMIT/);
  t.notOk(journal.steps.has('submit'), 'a submit that did not take is not journaled as done');
  const done = await c.stock!.report(count(), journal);
  t.equal(done.status, 'COMPLETED');
  t.same(sb.store.writes, {
    'stockoperation.create.stocktake': 1,
    'stockoperation.submit.stocktake': 1,
    'stockoperation.approve.stocktake': 1,
  });
});

t.test('a location created behind a login page: transient, the retry finds it by its code', async (t) => {
  const { sb, c } = await setup(t);
  unreadable(sb, '/openmrs/ws/rest/v1/location', LOGIN_PAGE);
  const journal = memoryJournal();
  t.equal((await failure(c.facilities!.upsert!(clinic(), journal))).transient, true);
  const done = await c.facilities!.upsert!(clinic(), journal);
  const made = [...sb.store.locations.values()].filter((l) => l.name === 'Unread Answer Clinic');
  t.equal(made.length, 1, 'one location');
  t.equal(done.ids.location, made[0].uuid, 'the id is the location OpenMRS made, not "undefined"');
  t.equal(sb.store.writes['location.create'], 1);
});

t.test('an unreadable create answer: the error keeps the HTTP status OpenMRS answered with', async (t) => {
  const { sb, c } = await setup(t);
  unreadable(sb, `${SM}/stockoperation`, LOGIN_PAGE);
  const first = await failure(c.stock!.report(count(), memoryJournal()));
  t.equal(first.upstreamStatus, 200, 'the 2xx that came, as the DHIS2 and GraphQL connectors report it');
  t.match(first.message, /answered 200 with an HTML page, not JSON/);
  t.notMatch(first.message, /Sign in/, 'the page itself is not echoed');
});

t.test('a read of the operation answered by a login page: read again, never taken as status "undefined"', async (t) => {
  const { sb, c } = await setup(t);
  sb.faults.add({
    method: 'GET',
    path: `${SM}/stockoperation/*`,
    action: { type: 'status', status: 200, body: LOGIN_PAGE },
    times: 1,
  });
  const journal = memoryJournal();
  const done = await c.stock!.report(count(), journal);
  t.equal(done.status, 'COMPLETED');
  t.equal(journal.steps.get('submit'), 'SUBMITTED', 'the submit journaled with the status OpenMRS holds');
  t.same(sb.store.writes, {
    'stockoperation.create.stocktake': 1,
    'stockoperation.submit.stocktake': 1,
    'stockoperation.approve.stocktake': 1,
  });
});

t.test('a list answered by a login page: transient with its status, read again, the write lands once', async (t) => {
  const { sb, c } = await setup(t);
  sb.faults.add({
    method: 'GET',
    path: `${SM}/stockoperation`,
    action: { type: 'status', status: 200, body: LOGIN_PAGE },
    times: 3,
  });
  const journal = memoryJournal();
  const first = await failure(c.stock!.report(count(), journal));
  t.equal(first.transient, true, 'retried later, not dead-lettered');
  t.equal(first.upstreamStatus, 200);
  t.equal(sb.store.writes['stockoperation.create.stocktake'] ?? 0, 0, 'nothing created without looking first');
  const done = await c.stock!.report(count(), journal);
  t.equal(done.status, 'COMPLETED');
  t.equal(sb.store.writes['stockoperation.create.stocktake'], 1);
});
