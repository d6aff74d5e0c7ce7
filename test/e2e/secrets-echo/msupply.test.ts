/**
 * Open mSupply repeating the mediator's credentials back (the sandbox's `echoSecrets` fault: the
 * bearer token, the refresh cookie and the `authToken` query's variables with the password, in
 * errors[].message and extensions, a WWW-Authenticate challenge and a redirect's Location) on the
 * login a fresh mediator makes first, on store and item lookups and on requisition writes, as 4xx,
 * 5xx, a 200 of errors[] and a 302; through a direct FHIR call, through OpenHIM (envelope and
 * transaction updates), in the trace log and in the outbox jobs and dead letters an operator reads.
 * No form of the password, of any bearer issued or of any refresh token may appear in any of it.
 */
import t from 'tap';
import { startMsupplySandbox, type MsupplySandbox } from '../../../sandbox/msupply/index.js';
import { assertNoLeak, startEchoRig } from '../../support/echo-secrets-rig.js';
import { toStore } from '../../support/msupply-e2e.js';
import { until } from '../../support/net.js';
import { orderLine } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { wireForms } from '../../support/secret-forms.js';

const USER = 'mediator';
// its base64 holds `+` and `/`, which a URL percent-encodes
const PASSWORD = 'cnryLLmsupply pw"&+/%??>???';
const STORE = 'store-hc-north';

const order = (number: string) =>
  orderLine({ order: number, facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 100 });

const echo = (ms: MsupplySandbox, operation: string, status: number, times = 1) =>
  ms.faults.add({ operation, times, action: { type: 'echoSecrets', status } });

const hits = (ms: MsupplySandbox, id: number) => ms.faults.list().find((f) => f.id === id)!.hits;

for (const engine of engineCases()) {
  t.test(
    `Open mSupply echoing its credentials never gets them out (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const ms = await startMsupplySandbox({ mediatorPassword: PASSWORD });
      t.teardown(() => ms.close());
      // every bearer and refresh token the sandbox issues, kept as they are replaced
      const issued = new Set<string>();
      const keepIssued = () => {
        for (const k of ms.state.tokens.keys()) issued.add(k);
        for (const k of ms.state.refreshTokens.keys()) issued.add(k);
      };
      const rig = await startEchoRig(
        t,
        engine,
        { orders: { ...toStore(STORE), default: null }, facilities: { default: 'msupply' } },
        {
          MSUPPLY_BASE_URL: ms.url,
          MSUPPLY_USERNAME: USER,
          MSUPPLY_PASSWORD: PASSWORD,
          MSUPPLY_SUPPLIER_CODE: 'WH-CENTRAL',
          OUTBOX_MAX_ATTEMPTS: '3',
        },
      );
      keepIssued();

      // the first call of a fresh mediator (its login): a 5xx repeating the password, answered directly
      const login = echo(ms, '*', 500);
      const first = await rig.direct('GET', '/fhir/Location?_count=5');
      t.equal(hits(ms, login.id), 1, `the first call echoed (${first.status})`);

      // the calls after it, whatever they are: 5xx, a 200 of errors[], a redirect
      const failing = echo(ms, '*', 500, 3);
      const read = await rig.viaOpenHim('GET', '/fhir/Location?_count=5', undefined, 'msupply-read-500');
      t.ok(hits(ms, failing.id) >= 1, `a 5xx echo (${read.clientStatus})`);
      keepIssued();
      ms.faults.clear();
      const odd = echo(ms, '*', 200);
      const search = await rig.viaOpenHim('GET', '/fhir/Location?_count=5', undefined, 'msupply-read-200');
      t.equal(hits(ms, odd.id), 1, `errors[] echoing the token in a 200 (${search.clientStatus})`);
      const moved = echo(ms, '*', 302);
      const redirected = await rig.viaOpenHim('GET', '/fhir/Location?_count=5', undefined, 'msupply-read-302');
      t.equal(hits(ms, moved.id), 1, `a redirect echoing the token (${redirected.clientStatus})`);
      keepIssued();

      // an order refused for good after a transient echo; one refused directly
      echo(ms, 'insertRequestRequisition', 503);
      const refusing = echo(ms, 'insertRequestRequisition', 400);
      const refused = await rig.viaOpenHim('POST', '/fhir/SupplyRequest', order('ECHO-MS-1'), 'msupply-order-400');
      // a 503 on a write may have been applied: the worker, not the request, meets the refusal
      await until('the refusal met', async () => hits(ms, refusing.id) === 1 || undefined, 30_000);
      t.ok(refused.clientStatus >= 200, `the order answered ${refused.clientStatus}, then refused with an echo`);
      const direct = echo(ms, 'insertRequestRequisition', 200);
      const refusedDirect = await rig.direct('POST', '/fhir/SupplyRequest', order('ECHO-MS-2'));
      t.equal(hits(ms, direct.id), 1, `an order answered by an echo in errors[] (${refusedDirect.status})`);
      keepIssued();

      // an order Open mSupply keeps failing with an echo: accepted, retried, dead-lettered, OpenHIM told
      const down = echo(ms, 'insertRequestRequisition', 503, 100);
      const accepted = await rig.viaOpenHim('POST', '/fhir/SupplyRequest', order('ECHO-MS-3'), 'msupply-order-dead');
      t.equal(accepted.clientStatus, 202, 'accepted while Open mSupply fails');
      await rig.deadLetterReported('msupply-order-dead');
      t.ok(hits(ms, down.id) >= 3, `dead after ${hits(ms, down.id)} echoed attempts`);
      keepIssued();

      // a login refused with a 401 repeating the authToken query's variables (last: the mediator then
      // holds its logins until the credentials change)
      // first a login page's redirect, repeating the login's body (the password) in its Location
      ms.state.expireTokens();
      ms.state.refreshTokens.clear();
      const redirectedLogin = echo(ms, 'authToken', 302);
      const afterRedirect = await rig.direct('POST', '/fhir/SupplyRequest', order('ECHO-MS-5'));
      t.equal(hits(ms, redirectedLogin.id), 1, `the login redirected with an echo (${afterRedirect.status})`);
      ms.state.expireTokens();
      ms.state.refreshTokens.clear();
      const refusedLogin = echo(ms, 'authToken', 401);
      const afterLogin = await rig.direct('POST', '/fhir/SupplyRequest', order('ECHO-MS-4'));
      t.equal(hits(ms, refusedLogin.id), 1, `the login refused with an echo (${afterLogin.status})`);

      t.ok((await rig.gatherTheRest()) >= 2, 'the jobs read through the admin API');
      t.ok(issued.size >= 2, `${issued.size} bearer and refresh tokens issued`);
      assertNoLeak(
        t,
        rig,
        [...wireForms(PASSWORD, USER), ...[...issued].flatMap((token) => wireForms(token))],
        ['direct', 'envelope', 'log', 'openhim', 'admin'],
      );
    },
  );
}
