/**
 * OpenMRS repeating the mediator's credentials back (the sandbox's `echoSecrets` fault: the Basic
 * header and its decoded pair, the JSESSIONID cookie, the query and the body, in the REST error's
 * message and its stack-trace `detail`, in a WWW-Authenticate challenge and in the login page's
 * Location) on the session login a fresh mediator makes first, on location reads and on stock
 * operation writes, as 4xx, 5xx, a 2xx of another shape and a 302; through a direct FHIR call,
 * through OpenHIM (envelope and transaction updates), in the trace log and in the outbox jobs and
 * dead letters an operator reads. No form of the password or of any session id may appear.
 */
import t from 'tap';
import { LOC, startOpenMrsSandbox, type OpenMrsSandbox } from '../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../src/fhir/conventions.js';
import { assertNoLeak, startEchoRig } from '../../support/echo-secrets-rig.js';
import { GTIN } from '../../support/openmrs-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { wireForms } from '../../support/secret-forms.js';

const USER = 'admin';
// its Basic pair's base64 holds `+` and `/`, which a URL percent-encodes
const PASSWORD = 'cnryMMopenmrs pw"&+/%??>???';
const AMOXICILLIN = '10860012300058';
const WS = '/openmrs/ws/rest/v1';

const order = (number: string) => ({
  resourceType: 'SupplyRequest',
  status: 'active',
  identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: 'https://app.example.org/orders', value: number }],
  itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] },
  quantity: { value: 200, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
  authoredOn: '2026-12-01T08:00:00Z',
  deliverTo: { reference: `Location/${LOC.kilima}` },
  deliverFrom: { reference: `Location/${LOC.mwangaza}` },
});

const echo = (sb: OpenMrsSandbox, method: string, path: string, status: number, times = 1) =>
  sb.faults.add({ method, path, times, action: { type: 'echoSecrets', status } });

const hits = (sb: OpenMrsSandbox, id: string) => sb.faults.list().find((f) => f.id === id)!.hits;

for (const engine of engineCases()) {
  t.test(`OpenMRS echoing its credentials never gets them out (${engine.name})`, { skip: engine.skip }, async (t) => {
    const sb = await startOpenMrsSandbox();
    t.teardown(() => sb.close());
    [...sb.store.users.values()].find((u) => u.username === USER)!.password = PASSWORD;
    // every session id the sandbox hands out, kept as sessions are replaced
    const sessions = new Set<string>();
    const keepSessions = () => {
      for (const id of sb.store.sessions.keys()) sessions.add(id);
    };
    const rig = await startEchoRig(t, engine, undefined, {
      OPENMRS_BASE_URL: sb.url,
      OPENMRS_USERNAME: USER,
      OPENMRS_PASSWORD: PASSWORD,
      OPENMRS_TIMEOUT_MS: '3000',
      OUTBOX_MAX_ATTEMPTS: '3',
    });
    keepSessions();

    // the first call of a fresh mediator (its session login), answered to a direct client
    const first = echo(sb, 'GET', `${WS}/**`, 500);
    const lookup = await rig.direct('GET', `/fhir/Location/${LOC.kilima}`);
    t.equal(hits(sb, first.id), 1, `the first call echoed (${lookup.status})`);
    keepSessions();

    // location reads through OpenHIM: 5xx, a 2xx of another shape, a redirect to the login page
    const failing = echo(sb, 'GET', `${WS}/location/**`, 500, 3);
    const read = await rig.viaOpenHim('GET', `/fhir/Location/${LOC.mwangaza}`, undefined, 'openmrs-read-500');
    t.ok(hits(sb, failing.id) >= 1, `a 5xx echo (${read.clientStatus})`);
    sb.faults.clear();
    const odd = echo(sb, 'GET', `${WS}/location`, 200);
    const search = await rig.viaOpenHim('GET', '/fhir/Location?name=kilima', undefined, 'openmrs-search-200');
    t.equal(hits(sb, odd.id), 1, `a 2xx echo of another shape (${search.clientStatus})`);
    const moved = echo(sb, 'GET', `${WS}/location`, 302);
    const redirected = await rig.viaOpenHim('GET', '/fhir/Location?name=mwangaza', undefined, 'openmrs-search-302');
    t.equal(hits(sb, moved.id), 1, `a redirect to the login page (${redirected.clientStatus})`);
    keepSessions();

    // orders: one refused with an echo through OpenHIM, one directly
    const refusing = echo(sb, 'POST', `${WS}/stockmanagement/**`, 400);
    const refused = await rig.viaOpenHim('POST', '/fhir/SupplyRequest', order('ECHO-MRS-1'), 'openmrs-order-400');
    t.equal(hits(sb, refusing.id), 1, `the refused order (${refused.clientStatus})`);
    const direct = echo(sb, 'POST', `${WS}/stockmanagement/**`, 422);
    const refusedDirect = await rig.direct('POST', '/fhir/SupplyRequest', order('ECHO-MRS-2'));
    t.equal(hits(sb, direct.id), 1, `a direct order refused with an echo (${refusedDirect.status})`);
    keepSessions();

    // an order OpenMRS keeps failing with an echo: accepted, retried, dead-lettered, OpenHIM told
    const down = echo(sb, 'POST', `${WS}/stockmanagement/**`, 503, 100);
    const accepted = await rig.viaOpenHim('POST', '/fhir/SupplyRequest', order('ECHO-MRS-3'), 'openmrs-order-dead');
    t.equal(accepted.clientStatus, 202, 'accepted while OpenMRS fails');
    await rig.deadLetterReported('openmrs-order-dead');
    t.ok(hits(sb, down.id) >= 3, `dead after ${hits(sb, down.id)} echoed attempts`);
    sb.faults.clear();

    // a session login refused with a 401 echo (last: a refused login holds the mediator's logins)
    sb.store.sessions.clear();
    const login = echo(sb, 'GET', `${WS}/session`, 401);
    const afterLogin = await rig.direct('POST', '/fhir/SupplyRequest', order('ECHO-MRS-4'));
    t.equal(hits(sb, login.id), 1, `the login refused with an echo (${afterLogin.status})`);

    t.ok((await rig.gatherTheRest()) >= 2, 'the jobs read through the admin API');
    t.ok(sessions.size >= 1, `${sessions.size} session ids handed out`);
    assertNoLeak(
      t,
      rig,
      [...wireForms(PASSWORD, USER), ...[...sessions].flatMap((id) => wireForms(id))],
      ['direct', 'envelope', 'log', 'openhim', 'admin'],
    );
  });
}
