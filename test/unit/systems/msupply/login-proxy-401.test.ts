/**
 * A 401 answered to Open mSupply's login itself (the `authToken` query, which carries no bearer):
 * a proxy in front of the server asking for its own credentials, or a gateway refusing the user.
 * No renewal and no later attempt can fix it, so it is a permanent login error naming the settings
 * to check, asked once per call (not retried like an outage), and the page's text is not echoed.
 * Connector + sandbox.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { startRig, failure } from './harness.js';

const PAGE = '<html><head><title>401 Authorization Required</title></head><body>nginx realm="msupply"</body></html>';

t.test("the login answered a proxy's 401 page: permanent, names the settings, asked once", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'authToken', action: { type: 'status', status: 401, body: PAGE } });
  const err = await failure(rig.connector.facilities!.get('store-hc-north'));
  t.ok(err instanceof UpstreamError, String(err));
  const e = err as UpstreamError;
  t.equal(e.transient, false, 'not an outage: retrying cannot fix a refused login');
  t.equal(e.status, 502, "the mediator's configuration, not the request, is wrong");
  t.equal(e.issues[0].code, 'login');
  t.equal(e.upstreamStatus, 401);
  t.match(e.issues[0].diagnostics, /login as 'mediator' answered HTTP 401/);
  t.match(e.issues[0].diagnostics, /check msupply\.username and msupply\.password/);
  t.notMatch(e.issues[0].diagnostics, /html|nginx|realm/i, 'the page is not echoed');
  t.equal(rig.sb.faults.list()[0].hits, 1, 'one login asked, not three');
});

t.test('the same 401 with GraphQL errors[] in its body: permanent as well', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'authToken', action: { type: 'status', status: 401 } });
  const err = await failure(rig.connector.ping!());
  t.equal((err as UpstreamError).transient, false, String(err));
  t.match((err as UpstreamError).issues[0].diagnostics, /msupply\.password/);
});

t.test('a renewal refused 401 falls back to the password login, which succeeds', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await rig.connector.ping!();
  rig.sb.state.expireTokens();
  rig.sb.faults.add({ operation: 'refreshToken', action: { type: 'status', status: 401 }, times: 1 });
  await rig.connector.ping!();
  t.equal(rig.sb.state.logins, 2, 'the password login after the refused renewal');
});

t.test('a refused login is not asked again for a minute with the same settings: no lockout by /ready', async (t) => {
  let now = Date.parse('2026-12-05T04:00:00Z');
  const rig = await startRig({ 'msupply.password': 'wrong-password-Qz1' }, {}, { now: () => now });
  t.teardown(() => rig.close());
  const logins = () => rig.sb.calls.filter((c) => c.operation === 'authToken').length;
  for (let i = 0; i < 5; i++) {
    const err = await failure(rig.connector.ping!());
    t.match((err as UpstreamError).issues[0].diagnostics, /InvalidCredentials/, 'the same words each time');
  }
  t.equal(logins(), 1, 'five readiness checks, one failed login');
  now += 61_000;
  await failure(rig.connector.ping!());
  t.equal(logins(), 2, 'asked again after the minute');
  rig.connector.reconfigure!({ ...rig.settings, 'msupply.password': 'password' });
  await rig.connector.ping!();
  t.equal(logins(), 3, 'new settings are tried at once');
});
