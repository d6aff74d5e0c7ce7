/**
 * A login refused for good is not sent again for LOGIN_REFUSAL_HOLD_MS with the same settings
 * (CredentialCache): OpenMRS, Open mSupply and OpenLMIS can lock an account after repeated
 * failed logins, and every /ready probe and write would otherwise send the wrong password again.
 * Through the real OpenLMIS client and sandbox and the OpenMRS connector and sandbox; the clock
 * and the kinds of failure at the cache itself.
 */
import t from 'tap';
import { startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { createOpenMrsConnector } from '../../../../src/systems/openmrs/index.js';
import { CredentialCache, LOGIN_REFUSAL_HOLD_MS } from '../../../../src/upstream/auth/credential-cache.js';
import { failure, startClientHarness } from '../../systems/openlmis/client-harness.js';
import { recordUpstreamCalls } from '../../systems/openmrs/recording.js';

const programs = { method: 'GET' as const, path: '/api/programs' };

t.test('OpenLMIS: five calls with a wrong password make one login; new settings are tried at once', async (t) => {
  const h = await startClientHarness({ password: 'not-the-password' });
  t.teardown(h.close);
  const logins = h.counter('POST', '/api/oauth/token');
  const errors = [];
  for (let i = 0; i < 5; i++) errors.push(await failure(h.client.call(programs)));
  t.equal(logins(), 1, 'one refused login for five calls');
  t.ok(
    errors.every((e) => e.messageKey === 'invalid_grant' && e.transient === false),
    'each call answered with the refusal',
  );
  h.client.reconfigure({ ...h.settings, password: 'password' });
  t.equal((await h.client.call<unknown[]>(programs)).length, 3, 'the right password works at once');
  t.equal(logins(), 2);
});

t.test('OpenMRS: five pings with a wrong password make one session login', async (t) => {
  const sb = await startOpenMrsSandbox();
  const c = createOpenMrsConnector({
    'openmrs.baseUrl': sb.url,
    'openmrs.username': 'admin',
    'openmrs.password': 'not-the-password',
    'openmrs.timeoutMs': 3000,
  });
  t.teardown(async () => {
    await c.close?.();
    await sb.close();
  });
  const { calls, result } = await recordUpstreamCalls(async () => {
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++) await c.ping!().catch((err: unknown) => errors.push(err));
    return errors;
  });
  t.equal(result.length, 5, 'every ping failed');
  t.ok(
    result.every((e) => e instanceof UpstreamError && !e.transient && e.issues[0].code === 'login'),
    'as a refused login',
  );
  const sessionCalls = calls.filter((x) => new URL(x.url).pathname.endsWith('/ws/rest/v1/session'));
  t.equal(sessionCalls.length, 1, 'the password was sent once');
});

const refusal = () =>
  new UpstreamError({ system: 'x', transient: false, status: 502, code: 'login', diagnostics: 'refused' });
const outage = () =>
  new UpstreamError({ system: 'x', transient: true, status: 502, code: 'transient', diagnostics: 'down' });

t.test('the hold: same settings only, for its time, refusals only', async (t) => {
  let now = 1_000_000;
  let fingerprint = 'a';
  let logins = 0;
  let answer: () => Promise<{ value: string }> = () => Promise.reject(refusal());
  const cache = new CredentialCache({
    login: () => {
      logins++;
      return answer();
    },
    fingerprint: () => fingerprint,
    now: () => now,
  });
  await t.rejects(cache.get());
  await t.rejects(cache.get());
  t.equal(logins, 1, 'held');
  now += LOGIN_REFUSAL_HOLD_MS - 1;
  await t.rejects(cache.get());
  t.equal(logins, 1, 'still held just before the hold ends');
  now += 1;
  await t.rejects(cache.get());
  t.equal(logins, 2, 'tried again when it ends');
  fingerprint = 'b';
  answer = () => Promise.resolve({ value: 'token' });
  t.equal((await cache.get()).value, 'token', 'new settings are tried at once');
  t.equal(logins, 3);

  fingerprint = 'c';
  answer = () => Promise.reject(outage());
  await t.rejects(cache.get());
  await t.rejects(cache.get());
  t.equal(logins, 5, 'an outage is not held: the next call logs in again');

  answer = () => Promise.reject(refusal());
  await t.rejects(cache.get());
  cache.reset();
  await t.rejects(cache.get());
  t.equal(logins, 7, 'a reset forgets the hold');
});
