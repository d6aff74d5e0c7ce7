import t from 'tap';
import { basicAuth, basicHeader } from '../../../../src/upstream/auth/basic.js';
import { staticTokenAuth } from '../../../../src/upstream/auth/static-token.js';
import { MASKED } from '../../../../src/upstream/http.js';
import { processRedactor } from '../../../../src/platform/redaction.js';
import { clientFor, failure, recorded, startUpstream, type Settings } from '../harness.js';

const get = { method: 'GET' as const, path: '/protected', retry: false };

t.test('static token header (DHIS2 ApiToken): read per call, masked, a refusal not replayed', async (t) => {
  const u = await startUpstream();
  const settings: Settings = {
    baseUrl: u.url,
    timeoutMs: 2_000,
    concurrency: 2,
    token: 'd2pat_first0000000000000000000000001',
  };
  u.valid.add(`ApiToken ${settings.token}`);
  const client = clientFor(settings, (s) => staticTokenAuth({ token: () => s().token, scheme: 'ApiToken' }));
  t.teardown(async () => {
    await client.close();
    await u.close();
  });
  const { calls } = await recorded(() => client.call(get));
  t.equal(calls[0].requestHeaders?.authorization, `ApiToken ${MASKED}`);
  t.notOk(JSON.stringify(calls).includes(settings.token!));
  t.notOk(
    processRedactor.redact(`echo ${settings.token}`).includes(settings.token!),
    'the token is taught to the redactor',
  );

  u.valid.clear();
  settings.token = 'd2pat_second000000000000000000000002';
  u.valid.add(`ApiToken ${settings.token}`);
  t.same(await client.call(get), { ok: true }, 'the token changed live is used on the next call');

  u.valid.clear();
  const before = u.hits('GET /protected');
  const err = await failure(client.call(get));
  t.equal(err.upstreamStatus, 401);
  t.equal(u.hits('GET /protected') - before, 1, 'asking again gives the same token: not replayed');
});

t.test('HTTP Basic: masked, live changes, missing credentials named', async (t) => {
  const u = await startUpstream();
  const settings: Settings = {
    baseUrl: u.url,
    timeoutMs: 2_000,
    concurrency: 2,
    username: 'admin',
    password: 'district',
  };
  u.valid.add(basicHeader('admin', 'district'));
  const client = clientFor(settings, (s) =>
    basicAuth(() => ({ username: s().username, password: s().password }), 'set dhis2.username and dhis2.password'),
  );
  t.teardown(async () => {
    await client.close();
    await u.close();
  });
  const { calls } = await recorded(() => client.call(get));
  t.equal(calls[0].requestHeaders?.authorization, `Basic ${MASKED}`);
  u.valid.add(basicHeader('admin', 'district2'));
  settings.password = 'district2';
  t.same(await client.call(get), { ok: true });
  settings.password = undefined;
  const err = await failure(client.call(get));
  t.equal(err.transient, false);
  t.match(err.message, /set dhis2.username and dhis2.password/);
});
