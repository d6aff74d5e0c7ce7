/**
 * DHIS2's answers as the OpenHIM orchestrations record them name neither the integration user's
 * username nor its UID (account identifiers, half a credential), nor carry its token or password,
 * and keep the rest: async import task summaries (E7617 "… current user: `<uid>`", objects.user),
 * tracker job reports ("User: `<uid>`, has no write access …"), `storedBy` of values read back
 * and `/api/me` itself. Through the real DHIS2 client and connector against the sandbox.
 */
import t from 'tap';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import type { StockReport } from '../../../../src/domain/index.js';
import {
  callsOf,
  createOrchestrationStore,
  runWithOrchestrations,
  type UpstreamCall,
} from '../../../../src/platform/call-recording.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { A_USER, THE_USER, UserTraces } from '../../../../src/systems/dhis2/recorded-answers.js';
import { createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { consignmentEvents } from '../../../support/dhis2-consignment-events.js';
import { memoryJournal, startHarness, type Harness } from './harness.js';

const PASSWORD = 'Mediator-2024!';
const BASIC = { 'dhis2.apiToken': '', 'dhis2.username': 'mediator', 'dhis2.password': PASSWORD };
const GTIN = 'https://www.gs1.org/gtin';
const january: StockReport = {
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
  lines: [
    { product: { system: GTIN, code: '10860012300034' }, quantity: { value: 120, unit: 'dispensing-unit' } },
    { product: { system: GTIN, code: '10860012300072' }, quantity: { value: 40, unit: 'dispensing-unit' } },
  ],
};

/** Everything a call's orchestration shows OpenHIM, as text, our own placeholder words taken out. */
function shown(calls: UpstreamCall[]): string {
  const text = calls
    .map((c) => JSON.stringify({ url: c.url, h: c.requestHeaders, b: c.requestBody, r: c.response, e: c.error }))
    .join('\n');
  return text.split(THE_USER).join('(us)');
}

/** Which of the user's identifiers, and of the credentials, the orchestrations show. */
function leaked(h: Harness, calls: UpstreamCall[]): string[] {
  const text = shown(calls);
  const uid = h.sandbox.state.userUid(h.sandbox.state.userNamed('mediator')!);
  return [
    ...(/(?<![\w-])mediator(?![\w-])/.test(text) ? ['username'] : []),
    ...(text.includes(uid) ? ['uid'] : []),
    ...(text.includes(SEED_API_TOKEN) ? ['token'] : []),
    ...(text.includes(PASSWORD) ? ['password'] : []),
  ];
}

async function recorded<T>(fn: () => Promise<T>): Promise<{ calls: UpstreamCall[]; result: T | unknown }> {
  const store = createOrchestrationStore();
  const result = await runWithOrchestrations(fn, store).catch((e: unknown) => e);
  return { calls: callsOf(store), result };
}

const stockOf = (h: Harness) => {
  const products = loadDhis2Products({});
  return createStockCapability({ client: h.client, reader: createOrgUnitReader(h.client), products: () => products });
};

t.test('an async data value import refused (E7617): its task summary is recorded without the user', async (t) => {
  const h = await startHarness(
    { version: '2.41.3', jobDelayMs: 10 },
    { ...BASIC, 'dhis2.dataSet': 'LkStockMnth', 'dhis2.asyncThreshold': 1, 'dhis2.jobPollMs': 5 },
  );
  t.teardown(h.close);
  h.sandbox.state.userNamed('mediator')!.captureOrgUnits = ['LKL-S'];
  const { calls, result } = await recorded(() => stockOf(h).report(january, memoryJournal()));
  t.match(String(result), /E7617/, 'refused: outside the capture org units');
  const summaries = calls.filter((c) => c.url.includes('/api/system/taskSummaries/DATAVALUE_IMPORT/'));
  t.equal(summaries.length, 1, 'the summary was polled and recorded');
  const summary = JSON.stringify(summaries[0].response?.body);
  t.match(summary, /E7617/, 'still useful: the conflict and its code');
  t.match(summary, /not in hierarchy of current user: the mediator's DHIS2 user/, "DHIS2's words, the user in ours");
  t.match(summary, /"ignored":2/, 'and the counts');
  t.ok(
    calls.some((c) => c.url.includes('/api/system/tasks/DATAVALUE_IMPORT/')),
    'the task notifications are recorded too',
  );
  t.same(leaked(h, calls), [], 'no username, UID, token or password in any orchestration');
});

t.test('/api/me is recorded without who the user is, with what it may do', async (t) => {
  const h = await startHarness({}, BASIC);
  t.teardown(h.close);
  const { calls } = await recorded(() => h.client.call({ method: 'GET', path: '/api/me' }));
  const me = calls[0].response?.body as Record<string, unknown>;
  t.equal(me.username, THE_USER);
  t.equal(me.id, THE_USER);
  t.equal(me.firstName, THE_USER, 'nor its name');
  t.ok(Array.isArray(me.organisationUnits) && me.organisationUnits.length > 0, 'its org units stay');
  t.match(JSON.stringify(me.organisationUnits), /"id":"\w{11}"/, "with their UIDs (not the user's)");
  t.ok(Array.isArray(me.authorities), 'its authorities stay');
  t.same(leaked(h, calls), []);
});

t.test("values read back: storedBy is the user in words, another DHIS2 user's is not named", async (t) => {
  const h = await startHarness({}, { ...BASIC, 'dhis2.dataSet': 'LkStockMnth' });
  t.teardown(h.close);
  const stock = stockOf(h);
  await stock.report(january, memoryJournal());
  const one = [...h.sandbox.state.dataValues.values()].find((v) => v.period === '202401')!;
  one.storedBy = 'admin'; // a value an officer changed in DHIS2 itself
  const orgUnit = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  const { calls } = await recorded(() =>
    stock.search({ facility: orgUnit, date: [{ from: '2024-01-01', to: '2024-01-31' }] }),
  );
  const read = calls.filter((c) => c.url.includes('/api/dataValueSets'));
  t.ok(read.length > 0, 'the values were read');
  const text = JSON.stringify(read.map((c) => c.response?.body));
  t.match(text, /"storedBy":"the mediator's DHIS2 user"/, 'ours, said so');
  t.match(text, new RegExp(`"storedBy":"${A_USER}"`), "another user's, not named");
  t.notOk(/"storedBy":"admin"/.test(text), "nor the other user's username");
  t.match(text, /"value":"120"/, 'the values stay');
  t.same(leaked(h, calls), []);
});

t.test("a tracker job's report (E1000 names the user by UID) is recorded without it", async (t) => {
  const h = await startHarness({ jobDelayMs: 10 }, { 'dhis2.trackerAsyncThreshold': 1, 'dhis2.jobPollMs': 5 });
  t.teardown(h.close);
  h.sandbox.state.userNamed('mediator')!.captureOrgUnits = ['LK-HC-101'];
  const { calls, result } = await recorded(() => postTrackerEvents(h.client, consignmentEvents(h, 2, 'Ac')));
  t.match(result, { status: 'ERROR' }, 'refused');
  const report = calls.find((c) => /\/api\/tracker\/jobs\/[^/]+\/report/.test(c.url));
  t.ok(report, 'the report was polled and recorded');
  const text = JSON.stringify(report?.response?.body);
  t.match(text, /E1000/, 'still useful: the code');
  t.match(text, /User: the mediator's DHIS2 user, has no write access to OrganisationUnit: `\w{11}`/, 'and where');
  t.same(leaked(h, calls), [], 'no UID, nor the token');
});

t.test('UserTraces: an answer naming no user is recorded as it came; names are whole words', async (t) => {
  const traces = new UserTraces(() => 'admin');
  const plain = '{"organisationUnits":[{"id":"DiszpKrYNg8","name":"Administrator block"}]}';
  t.equal(traces.record('/api/organisationUnits', JSON.parse(plain), plain), plain, 'the text itself, not re-made');
  const stored = '{"dataValues":[{"value":"5","storedBy":"admin","comment":"by admin, administrator of LK"}]}';
  t.same(traces.record('/api/dataValueSets', JSON.parse(stored), stored), {
    dataValues: [{ value: '5', storedBy: THE_USER, comment: `by ${THE_USER}, administrator of LK` }],
  });
  t.equal(traces.record('/api/x', undefined, ''), undefined, 'an empty answer stays empty');
});

t.test('UserTraces: a UID DHIS2 quoted as the importing user is known in later answers', async (t) => {
  const traces = new UserTraces(() => undefined); // a personal access token: no username configured
  const refused = '{"message":"User: `xE7jOejl9FI`, has no data write access to Program: `LkConsignmt`."}';
  t.same(traces.record('/api/tracker', JSON.parse(refused), refused), {
    message: `User: ${THE_USER}, has no data write access to Program: \`LkConsignmt\`.`,
  });
  const later =
    '{"events":[{"event":"LkEv0000001","createdBy":{"uid":"xE7jOejl9FI","username":"x"},"note":"xE7jOejl9FI"}]}';
  t.same(traces.record('/api/tracker/events', JSON.parse(later), later), {
    events: [{ event: 'LkEv0000001', createdBy: THE_USER, note: THE_USER }],
  });
  const other = '{"events":[{"event":"LkEv0000002","createdBy":{"uid":"AbcdEfghIjk","username":"clerk"}}]}';
  t.same(
    traces.record('/api/tracker/events', JSON.parse(other), other),
    { events: [{ event: 'LkEv0000002', createdBy: A_USER }] },
    'another user: not named either',
  );
});

t.test('UserTraces: E2020 quotes an org unit after "the current user", not the user', async (t) => {
  const traces = new UserTraces(() => undefined);
  const e2020 = '{"message":"Organisation unit is not in the hierarchy of the current user: `DiszpKrYNg8`"}';
  t.equal(traces.record('/api/metadata', JSON.parse(e2020), e2020), e2020, 'the org unit stays, nothing learnt');
  const later = '{"organisationUnits":[{"id":"DiszpKrYNg8","createdBy":{"uid":"DiszpKrYNg8"}}]}';
  t.same(
    traces.record('/api/organisationUnits', JSON.parse(later), later),
    { organisationUnits: [{ id: 'DiszpKrYNg8', createdBy: A_USER }] },
    'its UID is not taken for the user later',
  );
});
