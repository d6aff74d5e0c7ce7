import { request } from 'node:http';
import t from 'tap';
import { startHarness } from './helpers.js';

t.test('tokens: inactivity expiry, invalid_token shape, API keys never expire', async (t) => {
  const h = await startHarness({ tokenTtlSeconds: 60 });
  t.teardown(() => h.sb.close());
  const token = await h.login();
  t.equal((await h.call('GET', '/api/programs', token)).status, 200);
  h.sb.state.advanceTime(45);
  t.equal((await h.call('GET', '/api/programs', token)).status, 200, 'use pushes the expiry forward');
  h.sb.state.advanceTime(45);
  t.equal((await h.call('GET', '/api/programs', token)).status, 200, 'still within 60 s of the last use');
  h.sb.state.advanceTime(61);
  const expired = await h.call('GET', '/api/programs', token);
  t.equal(expired.status, 401);
  t.equal(expired.body.error, 'invalid_token');
  t.match(expired.headers.get('www-authenticate'), /^Bearer /);
  t.equal((await h.call('GET', '/api/programs', h.seed.apiKey)).status, 200, 'API key still valid');
  const none = await h.call('GET', '/api/programs', null);
  t.same(none.body, {
    error: 'unauthorized',
    error_description: 'Full authentication is required to access this resource',
  });
  const badPassword = await h.call(
    'POST',
    '/api/oauth/token?grant_type=password&username=administrator&password=x',
    null,
    undefined,
    { authorization: `Basic ${Buffer.from('user-client:changeme').toString('base64')}` },
  );
  t.equal(badPassword.status, 400);
  t.same(badPassword.body, { error: 'invalid_grant', error_description: 'Bad credentials' });
  const wrongGrant = await h.call('POST', '/api/oauth/token?grant_type=client_credentials', null, undefined, {
    authorization: `Basic ${Buffer.from('user-client:changeme').toString('base64')}`,
  });
  t.equal(wrongGrant.body.error, 'invalid_client');
  const service = await h.serviceToken();
  const check = await h.call('POST', `/api/oauth/check_token?token=${service}`, null, undefined, {
    authorization: `Basic ${Buffer.from('trusted-client:secret').toString('base64')}`,
  });
  t.equal(check.body.client_id, 'trusted-client');
  const write = await h.call('POST', '/api/facilities', h.seed.apiKey, { code: 'X1' });
  t.equal(write.status, 403, 'API keys cannot write reference data');
  t.equal(write.body.messageKey, 'referenceData.error.unauthorized');
});

t.test('faults: status for N calls, probability, token expiry, reset, hang, admin route', async (t) => {
  let roll = 0.9;
  const h = await startHarness({ random: () => roll });
  t.teardown(() => h.sb.close());
  const token = await h.login();
  h.sb.faults.failNext('GET', '/api/programs', 503, 2);
  t.equal((await h.call('GET', '/api/programs', token)).status, 503);
  const second = await h.call('GET', '/api/programs', token);
  t.equal(second.status, 503);
  t.equal(second.body.error, 'Service Unavailable', 'Spring default error body');
  t.equal((await h.call('GET', '/api/programs', token)).status, 200, 'only the next 2 calls fail');

  h.sb.faults.add({
    method: 'GET',
    path: '/api/facilities/*',
    probability: 0.5,
    action: { type: 'status', status: 500 },
  });
  const id = h.seed.facilities['LK-HC-101'];
  t.equal((await h.call('GET', `/api/facilities/${id}`, token)).status, 200, 'roll above probability passes');
  roll = 0.1;
  t.equal((await h.call('GET', `/api/facilities/${id}`, token)).status, 500, 'roll below probability fails');
  h.sb.faults.clear();

  h.sb.faults.add({ method: 'POST', path: '/api/requisitions/**', times: 1, action: { type: 'expireToken' } });
  const r = await h.call(
    'POST',
    `/api/requisitions/initiate?program=${h.seed.programs.EM01}&facility=${id}&emergency=false`,
    token,
  );
  t.equal(r.status, 401);
  t.equal(r.body.error, 'invalid_token');

  const fresh = await h.login();
  h.sb.faults.add({ path: '/api/orders', times: 1, action: { type: 'reset' } });
  await t.rejects(h.call('GET', '/api/orders', fresh), 'connection reset');

  const rule = await fetch(`${h.sb.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'GET', path: '/api/lots', action: { type: 'hang' } }),
  });
  t.equal(rule.status, 201);
  const hung = await new Promise<string>((resolve) => {
    const req = request(`${h.sb.url}/api/lots`, { headers: { authorization: `Bearer ${fresh}` } }, () =>
      resolve('answered'),
    );
    req.setTimeout(200, () => {
      req.destroy();
      resolve('timed out');
    });
    req.on('error', () => undefined);
    req.end();
  });
  t.equal(hung, 'timed out');
  const list = (await (await fetch(`${h.sb.url}/_sandbox/faults`)).json()) as Array<{ path: string; hits: number }>;
  const hang = list.find((r) => r.path === '/api/lots')!;
  t.equal(hang.hits, 1, 'the admin route lists rules with their hit counts');
  await fetch(`${h.sb.url}/_sandbox/faults`, { method: 'DELETE' });
  t.equal((await h.call('GET', '/api/lots', fresh)).status, 200);
});

t.test('faults: a method that no request can have is refused, not stored to never fire', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.sb.close());
  const add = (method: unknown) =>
    fetch(`${h.sb.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method, path: '/api/**', action: { type: 'status', status: 503 } }),
    });
  const refused = await add('**');
  t.equal(refused.status, 400);
  t.match(await refused.json(), { error: /method is an HTTP method or "\*"/ });
  t.same(await (await fetch(`${h.sb.url}/_sandbox/faults`)).json(), [], 'nothing stored');
  t.equal((await add('*')).status, 201, 'the wildcard is `*`');
  t.equal((await add('post')).status, 201, 'a method in any case');
});
