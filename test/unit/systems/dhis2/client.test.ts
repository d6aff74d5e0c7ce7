import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { createDhis2Connector } from '../../../../src/systems/dhis2/index.js';
import { Dhis2Error, decodeDhis2Error } from '../../../../src/systems/dhis2/errors.js';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import { fixture, fixturesPresent, startHarness } from './harness.js';

const failure = async (p: Promise<unknown>): Promise<Dhis2Error> => {
  try {
    await p;
  } catch (err) {
    return err as Dhis2Error;
  }
  throw new Error('expected a failure');
};

t.test(
  'personal access token: ApiToken header accepted; a refused token is a 401 that names the settings, without the token',
  async (t) => {
    const h = await startHarness();
    t.teardown(h.close);
    const me = await h.client.call<{ username: string }>({ method: 'GET', path: '/api/me' });
    t.equal(me.username, 'mediator', "the token is the mediator user's");
    h.settings.apiToken = 'd2pat_wrongwrongwrongwrongwrongwrong0000000000';
    const err = await failure(h.client.call({ method: 'GET', path: '/api/me' }));
    t.ok(err instanceof UpstreamError);
    t.equal(err.upstreamStatus, 401);
    t.match(err.message, /dhis2\.apiToken/);
    t.notOk(err.message.includes('d2pat_wrong'), 'the token is not repeated');
    t.notOk(JSON.stringify(err.issues).includes(SEED_API_TOKEN));
  },
);

t.test('Basic when no token is set; missing credentials named', async (t) => {
  const h = await startHarness(
    {},
    { 'dhis2.apiToken': undefined, 'dhis2.username': 'admin', 'dhis2.password': 'district' },
  );
  t.teardown(h.close);
  t.equal((await h.client.call<{ username: string }>({ method: 'GET', path: '/api/me' })).username, 'admin');
  h.settings.password = undefined;
  const err = await failure(h.client.call({ method: 'GET', path: '/api/me' }));
  t.equal(err.transient, false);
  t.match(err.message, /dhis2\.username and dhis2\.password, or dhis2\.apiToken/);
  t.equal(h.sandbox.state.count('GET', '/api/me'), 1, 'nothing sent without credentials');
});

t.test(
  'system/info asked once, asked again after a reconfigure or a failure; features follow the version',
  async (t) => {
    const h = await startHarness({ version: '2.39.2' });
    t.teardown(h.close);
    const [a, b] = await Promise.all([h.client.version(), h.client.version()]);
    t.same(a, { text: '2.39.2', major: 39, patch: 2 });
    t.equal(b, a);
    t.same(await h.client.features(), {
      geometry: true,
      trackerPager: false,
      legacyEvents: true,
      trackerApi: true,
      sqlDataEntry: false,
      indexedConflicts: true,
      trackerFilters41: false,
      trackerFilterEscapes: false,
      trackerOrderNames: true,
    });
    t.equal(h.sandbox.state.count('GET', '/api/system/info'), 1, 'one call for many questions');
    h.sandbox.state.version = '2.43.0';
    h.client.reconfigure({ ...h.settings });
    t.equal((await h.client.version())?.major, 43);
    t.same((await h.client.features()).sqlDataEntry, true);
    t.equal(h.sandbox.state.count('GET', '/api/system/info'), 2);

    h.client.reconfigure({ ...h.settings });
    h.sandbox.faults.failNext('GET', '/api/system/info', 403, 1);
    await failure(h.client.version());
    t.equal((await h.client.version())?.major, 43, 'a failed question is asked again, not cached');
  },
);

t.test('connector ping: GET /api/me (and the version), failures surface', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const connector = createDhis2Connector({ 'dhis2.baseUrl': h.sandbox.url, 'dhis2.apiToken': SEED_API_TOKEN });
  t.teardown(() => connector.close?.());
  await connector.ping!();
  t.equal(h.sandbox.state.count('GET', '/api/me'), 1);
  h.sandbox.faults.failNext('GET', '/api/me', 503, 1);
  const err = await failure(connector.ping!());
  t.equal(err.transient, true, 'a 503 is transient');
  connector.reconfigure!({
    'dhis2.baseUrl': h.sandbox.url,
    'dhis2.apiToken': 'd2pat_revoked000000000000000000000000000000',
  });
  const refused = await failure(connector.ping!());
  t.equal(refused.upstreamStatus, 401, 'a live credential change applies to the next ping');
  connector.reconfigure!({ 'dhis2.baseUrl': h.sandbox.url, 'dhis2.apiToken': SEED_API_TOKEN });
  // a gateway's maintenance page answered 200: not a DHIS2 that answers (the outbox holds its writes)
  h.sandbox.faults.add({
    method: 'GET',
    path: '/api/me',
    times: 1,
    action: { type: 'status', status: 200, body: { message: 'maintenance' } },
  });
  const page = await failure(connector.ping!());
  t.match(page.message, /without the user's id/, 'a page without the user fails the ping');
  await connector.ping!();
});

t.test('WebMessage errors: the upstream message and error code reach the UpstreamError', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  // an object report refusal (duplicate code → E5003), as the sandbox answers it
  const ou = await h.client.call<{ organisationUnits: { id: string; code: string }[] }>({
    method: 'GET',
    path: '/api/organisationUnits',
    query: { fields: 'id,code', filter: ['code:eq:LK-HC-101'] },
  });
  const err = await failure(
    h.client.call({
      method: 'POST',
      path: '/api/organisationUnits',
      body: {
        name: 'Twin',
        shortName: 'Twin',
        openingDate: '2024-01-01',
        code: 'LK-HC-101',
        parent: { id: ou.organisationUnits[0].id },
      },
    }),
  );
  t.equal(err.upstreamStatus, 409);
  t.equal(err.errorCode, 'E5003');
  t.match(err.message, /already exists/);
  t.equal(err.status, 409);
  const missing = await failure(h.client.call({ method: 'PUT', path: '/api/organisationUnits/abcdefghij0', body: {} }));
  t.equal(missing.status, 404);
  t.match(missing.message, /could not be found/);
});

t.test(
  'WebMessage fixtures decode with their message',
  { skip: !fixturesPresent && 'no ../shared/fixtures' },
  async (t) => {
    const forbidden = decodeDhis2Error(403, fixture('webmessage/error-403.json'), 'GET', '/api/dataElements');
    t.equal(forbidden.status, 502);
    t.equal(forbidden.issues[0].code, 'forbidden');
    t.match(forbidden.message, /You don't have the proper permissions to read objects of this type/);
    const idScheme = decodeDhis2Error(
      422,
      fixture('webmessage/tracker-idscheme-error-422.json'),
      'POST',
      '/api/tracker',
    );
    t.equal(idScheme.status, 422);
    t.equal(idScheme.transient, false);
    t.match(idScheme.message, /Not all metadata has an identifier for the requested idScheme/);
    const unauthorized = decodeDhis2Error(
      401,
      {
        httpStatus: 'Unauthorized',
        httpStatusCode: 401,
        status: 'ERROR',
        message: 'Bad credentials for admin:district',
      },
      'GET',
      '/api/me',
    );
    t.notOk(unauthorized.message.includes('district'), 'a 401 body is not repeated');
  },
);

t.test('lists page through pager; never paging=false', async (t) => {
  const h = await startHarness({}, { 'dhis2.pageSize': 4 });
  t.teardown(h.close);
  const all = await h.client.list<{ id: string }>('/api/organisationUnits', 'organisationUnits', { fields: 'id' });
  t.equal(all.length, h.sandbox.state.orgUnits.size);
  t.equal(new Set(all.map((o) => o.id)).size, all.length, 'no duplicates across pages');
  t.equal(h.sandbox.state.count('GET', '/api/organisationUnits'), Math.ceil(h.sandbox.state.orgUnits.size / 4));
  t.equal(h.sandbox.state.pagingFalse, 0);
});
