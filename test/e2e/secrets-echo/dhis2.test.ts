/**
 * DHIS2 repeating the mediator's credentials back (the sandbox's `echoSecrets` fault: the Basic
 * header and its decoded pair, or the personal access token, the query and the body, in the
 * WebMessage, in a WWW-Authenticate challenge and in a redirect's Location), on the calls a fresh
 * mediator makes first (org-unit lookups with a cold cache) as well as on data value imports,
 * as 4xx, 5xx, a 2xx of another shape and a 302; through a direct FHIR call, through OpenHIM
 * (envelope and transaction updates), in the trace log and in the outbox jobs and dead letters
 * an operator reads. No form of any credential may appear in any of it.
 */
import t from 'tap';
import { startDhis2Sandbox, type Dhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import { assertNoLeak, startEchoRig } from '../../support/echo-secrets-rig.js';
import { marchStockCount } from '../../support/march-stock-count.js';
import { engineCases } from '../../support/outbox-engines.js';
import { wireForms } from '../../support/secret-forms.js';

const USER = 'mediator';
// its Basic pair's base64 holds `+` and `/`, which a URL percent-encodes
const PASSWORD = 'cnryKKdhis2 pw"&+/%?>????';
const TOKEN = 'd2pat_cnryTTdhis2Token0000000000A1234567890';

const echo = (sb: Dhis2Sandbox, method: string, path: string, status: number, times = 1) =>
  sb.faults.add({ method, path, times, action: { type: 'echoSecrets', status } });

const hits = (sb: Dhis2Sandbox, id: string) => sb.faults.list().find((f) => f.id === id)!.hits;

for (const engine of engineCases()) {
  t.test(`DHIS2 echoing Basic credentials never gets them out (${engine.name})`, { skip: engine.skip }, async (t) => {
    const sb = await startDhis2Sandbox();
    t.teardown(sb.close);
    sb.state.users.find((u) => u.username === USER)!.password = PASSWORD;
    const rig = await startEchoRig(
      t,
      engine,
      { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } },
      {
        DHIS2_BASE_URL: sb.url,
        DHIS2_USERNAME: USER,
        DHIS2_PASSWORD: PASSWORD,
        DHIS2_DATA_SET: 'LkStockMnth',
        OUTBOX_MAX_ATTEMPTS: '3',
      },
    );
    const ids = sb.state.summary().orgUnits;

    // the very first call of a fresh mediator, whatever it is, echoes (a 401, as to a refused login)
    const first = echo(sb, 'GET', '/api/**', 401);
    const lookup = await rig.direct('GET', '/fhir/Location?name=mberewa');
    t.equal(hits(sb, first.id), 1, `the first call echoed (${lookup.status})`);
    t.ok(lookup.status >= 400, 'the client is told the lookup failed');

    // org-unit reads through OpenHIM: 5xx, a 2xx of another shape, a redirect to the login page
    const failing = echo(sb, 'GET', '/api/organisationUnits/**', 500, 3);
    const read = await rig.viaOpenHim('GET', `/fhir/Location/${ids['LK-HC-101']}`, undefined, 'dhis2-read-500');
    t.ok(hits(sb, failing.id) >= 1 && read.clientStatus >= 500, `a 5xx echo (${read.clientStatus})`);
    sb.faults.clear();
    const odd = echo(sb, 'GET', '/api/organisationUnits', 200);
    const search = await rig.viaOpenHim('GET', '/fhir/Location?name=mberewa', undefined, 'dhis2-search-200');
    t.equal(hits(sb, odd.id), 1, `a 2xx echo of another shape (${search.clientStatus})`);
    const redirect = echo(sb, 'GET', '/api/organisationUnits', 302);
    const moved = await rig.viaOpenHim('GET', '/fhir/Location?name=chilumba', undefined, 'dhis2-search-302');
    t.equal(hits(sb, redirect.id), 1, `a redirect to the login page (${moved.clientStatus})`);

    // a data value import refused for good, after a transient echo: 4xx to the client, a failed job
    echo(sb, 'POST', '/api/dataValueSets', 503);
    echo(sb, 'POST', '/api/dataValueSets', 409);
    const refused = await rig.viaOpenHim(
      'POST',
      '/fhir/R5/InventoryReport',
      marchStockCount(ids['LK-HC-101'], 'ECHO-1', 30),
      'dhis2-import-409',
    );
    t.ok(refused.clientStatus >= 400, `the refused import reaches the client (${refused.clientStatus})`);
    const direct = echo(sb, 'POST', '/api/dataValueSets', 400);
    const refusedDirect = await rig.direct(
      'POST',
      '/fhir/R5/InventoryReport',
      marchStockCount(ids['LK-HC-101'], 'ECHO-2', 40),
    );
    t.equal(hits(sb, direct.id), 1, `a direct import refused with an echo (${refusedDirect.status})`);

    // an import DHIS2 keeps failing with an echo: accepted (202), retried, dead-lettered, OpenHIM told
    const down = echo(sb, 'POST', '/api/dataValueSets', 503, 100);
    const accepted = await rig.viaOpenHim(
      'POST',
      '/fhir/R5/InventoryReport',
      marchStockCount(ids['LK-HC-102'], 'ECHO-3', 50),
      'dhis2-import-dead',
    );
    t.equal(accepted.clientStatus, 202, 'accepted while DHIS2 fails');
    await rig.deadLetterReported('dhis2-import-dead');
    t.ok(hits(sb, down.id) >= 3, `dead after ${hits(sb, down.id)} echoed attempts`);

    t.ok((await rig.gatherTheRest()) >= 2, 'the jobs read through the admin API');
    assertNoLeak(t, rig, wireForms(PASSWORD, USER), ['direct', 'envelope', 'log', 'openhim', 'admin']);
  });
}

t.test('DHIS2 echoing the personal access token never gets it out', async (t) => {
  const engine = engineCases().find((e) => e.name === 'sqlite')!;
  const sb = await startDhis2Sandbox();
  t.teardown(sb.close);
  sb.state.tokens.set(TOKEN, USER);
  const rig = await startEchoRig(
    t,
    engine,
    { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } },
    { DHIS2_BASE_URL: sb.url, DHIS2_API_TOKEN: TOKEN, DHIS2_DATA_SET: 'LkStockMnth' },
  );
  const ids = sb.state.summary().orgUnits;
  const first = echo(sb, 'GET', '/api/**', 403);
  const lookup = await rig.direct('GET', `/fhir/Location/${ids['LK-HC-103']}`);
  t.equal(hits(sb, first.id), 1, `the first call echoed the token (${lookup.status})`);
  const moved = echo(sb, 'POST', '/api/dataValueSets', 302);
  const refused = await rig.viaOpenHim(
    'POST',
    '/fhir/R5/InventoryReport',
    marchStockCount(ids['LK-HC-103'], 'ECHO-T1', 60),
    'dhis2-token-302',
  );
  t.equal(hits(sb, moved.id), 1, `the import redirected with the token (${refused.clientStatus})`);
  const failing = echo(sb, 'GET', '/api/organisationUnits', 500, 3);
  const search = await rig.viaOpenHim('GET', '/fhir/Location?name=chilumba', undefined, 'dhis2-token-500');
  t.ok(hits(sb, failing.id) >= 1, `a search echoed the token (${search.clientStatus})`);
  await rig.gatherTheRest();
  assertNoLeak(t, rig, wireForms(TOKEN), ['direct', 'envelope', 'log']);
});
