/**
 * Open mSupply down or behind a failing proxy while the connector logs in: the login (authToken,
 * or the refresh-cookie renewal) is answered 502/503. That is an outage, not a refusal: transient,
 * so a query is retried and an outbox job waits instead of being rejected. Connector + sandbox.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { startRig, failure } from './harness.js';

t.test('a login answered 503 once: the call is retried and succeeds', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'authToken', action: { type: 'status', status: 503 }, times: 1 });
  await rig.connector.ping!();
  t.equal(rig.sb.faults.list()[0].hits, 1, 'the first login was answered 503');
  t.equal(rig.sb.state.logins, 1, 'the second one logged in');
});

t.test("a login answered by a proxy's 502 page, every time: a transient upstream error", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'authToken',
    action: { type: 'status', status: 502, body: '<html>Bad Gateway</html>' },
  });
  const err = await failure(rig.connector.facilities!.get('store-hc-north'));
  t.ok(err instanceof UpstreamError, String(err));
  t.equal((err as UpstreamError).transient, true, 'transient: the job is retried, not rejected');
  t.equal((err as UpstreamError).upstreamStatus, 502);
});

t.test('a login answered 503 with GraphQL errors[], every time: transient as well', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'authToken', action: { type: 'status', status: 503 } });
  const err = await failure(rig.connector.facilities!.get('store-hc-north'));
  t.equal((err as UpstreamError).transient, true, String(err));
});

t.test('a renewal with the refresh cookie answered 503: transient', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await rig.connector.ping!();
  rig.sb.state.expireTokens();
  rig.sb.faults.add({ operation: 'refreshToken', action: { type: 'status', status: 503 } });
  rig.sb.faults.add({ operation: 'authToken', action: { type: 'status', status: 503 } });
  const err = await failure(rig.connector.ping!());
  t.equal((err as UpstreamError).transient, true, String(err));
});
