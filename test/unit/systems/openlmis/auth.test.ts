import t from 'tap';
import { LmisError } from '../../../../src/systems/openlmis/errors.js';
import { failure, startClientHarness } from './client-harness.js';

const programs = { method: 'GET' as const, path: '/api/programs' };

t.test('N concurrent calls share one login', async (t) => {
  const h = await startClientHarness({ concurrency: 4 });
  t.teardown(h.close);
  const logins = h.counter('POST', '/api/oauth/token');
  const results = await Promise.all(Array.from({ length: 12 }, () => h.client.call<unknown[]>(programs)));
  t.equal(results.length, 12);
  t.ok(results.every((r) => r.length === 3));
  t.equal(logins(), 1, 'one login for 12 calls');
});

t.test('token expiry mid-run: one fresh login, every call still succeeds once', async (t) => {
  const h = await startClientHarness({ concurrency: 4 });
  t.teardown(h.close);
  const logins = h.counter('POST', '/api/oauth/token');
  await h.client.call(programs);
  t.equal(h.sb.state.expireTokens(), 1, 'the sandbox forgot our token');
  const calls = h.counter('GET', '/api/programs');
  const results = await Promise.all(
    Array.from({ length: 10 }, () => h.client.call<unknown[]>({ ...programs, retry: false })),
  );
  t.ok(
    results.every((r) => r.length === 3),
    'all ten answered',
  );
  t.equal(logins(), 2, 'the 401s of ten concurrent calls caused one login');
  t.ok(calls() >= 10 && calls() <= 20, 'each call was sent at most twice (once refused, once replayed)');
});

t.test('a POST refused with 401 is replayed once after logging in again', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  await h.client.call(programs);
  const logins = h.counter('POST', '/api/oauth/token');
  // the sandbox revokes the caller's token on this request, so the handler answers 401 invalid_token
  h.sb.faults.add({ method: 'POST', path: '/api/facilities/search', times: 1, action: { type: 'expireToken' } });
  const page = await h.client.call<{ content: { code: string }[] }>({
    method: 'POST',
    path: '/api/facilities/search',
    body: { code: 'LK-WH-301' },
  });
  t.same(
    page.content.map((f) => f.code),
    ['LK-WH-301'],
  );
  t.equal(logins(), 1, 'one fresh login');
});

t.test('a 401 that survives a fresh login is an error without the upstream body', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  const body = { error: 'invalid_token', error_description: 'secret-token-echo-1234' };
  h.sb.faults.failNext('GET', '/api/programs', 401, 2, body);
  const err = await failure(h.client.call({ ...programs, retry: false }));
  t.type(err, LmisError);
  t.equal(err.upstreamStatus, 401);
  t.notMatch(err.message, /secret-token-echo/, 'the echoed token is not in the error');
  t.equal(err.upstreamMessage, undefined);
});

t.test('bad credentials fail the login with a clear, secret-free error', async (t) => {
  const h = await startClientHarness({ password: 'not-the-password' });
  t.teardown(h.close);
  const err = await failure(h.client.call(programs));
  t.type(err, LmisError);
  t.equal(err.transient, false, 'retrying cannot fix a wrong password');
  t.equal(err.messageKey, 'invalid_grant');
  t.match(err.message, /login as 'mediator' with client 'user-client' refused/);
  t.notMatch(err.message, /not-the-password/);
});

t.test('the service credential is the API key when configured, else the user token', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  const logins = h.counter('POST', '/api/oauth/token');
  t.equal((await h.client.call<unknown[]>({ ...programs, token: 'service' })).length, 3);
  t.equal(logins(), 1, 'no API key: the user logged in');

  const k = await startClientHarness();
  t.teardown(k.close);
  k.settings.apiKey = k.seed.apiKey;
  const keyLogins = k.counter('POST', '/api/oauth/token');
  t.equal((await k.client.call<unknown[]>({ ...programs, token: 'service' })).length, 3);
  t.equal(keyLogins(), 0, 'the API key needs no login');
  // API keys are refused by requisition/fulfillment, so user calls still log in
  await k.client.call({ ...programs, token: 'user' });
  t.equal(keyLogins(), 1);

  k.settings.apiKey = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
  const err = await failure(k.client.call({ ...programs, token: 'service' }));
  t.equal(err.upstreamStatus, 401, 'a refused API key is not replayed (nothing to renew)');
  t.notMatch(err.message, /ffffffff/);
});

t.test('reconfigure applies new credentials live and drops the cached token', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  const logins = h.counter('POST', '/api/oauth/token');
  await h.client.call(programs);
  h.client.reconfigure({ ...h.settings, password: 'wrong' });
  const err = await failure(h.client.call(programs));
  t.equal(err.messageKey, 'invalid_grant', 'the new (wrong) password is used at once');
  h.client.reconfigure({ ...h.settings, username: 'administrator' });
  t.equal((await h.client.call<unknown[]>(programs)).length, 3);
  t.equal(logins(), 3, 'each reconfigure forced a new login');
});

t.test('an access token issued at run time is masked wherever the mediator emits text', async (t) => {
  const { processRedactor } = await import('../../../../src/platform/redaction.js');
  const h = await startClientHarness();
  t.teardown(h.close);
  // a careless server repeats the bearer token it refused; the raw error is what we must not pass on
  h.sb.faults.add({ method: 'GET', path: '/api/programs', times: 1, action: { type: 'echoSecrets', status: 403 } });
  const err = await h.client.call(programs).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  const token =
    /Bearer ([0-9a-f-]{20,})/i.exec(String(err?.message))?.[1] ??
    /Bearer ([0-9a-f-]{20,})/i.exec(JSON.stringify(err))?.[1];
  t.ok(token, 'the echo carried our token');
  const bare = `error_description: Invalid access token ${token}; base64 ${Buffer.from(token!).toString('base64')}`;
  const masked = processRedactor.redact(bare);
  t.notMatch(masked, token!, 'the bare token is masked, not only after "Bearer"');
  t.notMatch(masked, Buffer.from(token!).toString('base64'), 'and its base64 form');
});
