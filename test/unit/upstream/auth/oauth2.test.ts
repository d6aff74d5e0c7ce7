import t from 'tap';
import { oauth2PasswordAuth } from '../../../../src/upstream/auth/oauth2-password.js';
import { MASKED } from '../../../../src/upstream/http.js';
import { failure, recorded, type Settings, upstreamAsAlice } from '../harness.js';

const grant = (s: () => Settings) =>
  oauth2PasswordAuth({
    tokenPath: '/oauth/token',
    credentials: () => ({
      username: s().username,
      password: s().password,
      clientId: 'app',
      clientSecret: 'app-secret',
    }),
    missing: 'no user',
    refused: (code, c) => `login as '${c.username}' refused (${code})`,
    extras: ['user_ref'],
  });
const get = { method: 'GET' as const, path: '/protected', retry: false };

t.test('password grant: one login for N calls and for N refusals; extras kept', async (t) => {
  const { u, client } = await upstreamAsAlice(t, grant, 4);
  await Promise.all(Array.from({ length: 6 }, () => client.call(get)));
  t.equal(u.hits('POST /oauth/token'), 1);
  u.forgetAll();
  await Promise.all(Array.from({ length: 6 }, () => client.call(get)));
  t.equal(u.hits('POST /oauth/token'), 2);
  const auth = client.auth as ReturnType<typeof grant>;
  t.equal(auth.lastIssued()?.extras.user_ref, 'u-1');
});

t.test('password grant: form and token masked in the record; a refused grant is permanent with its code', async (t) => {
  const { u, settings, client } = await upstreamAsAlice(t, grant, 2);
  const { calls } = await recorded(() => client.call(get));
  t.equal(calls[0].requestBody, `grant_type=password&username=alice&password=${MASKED}`);
  t.equal(calls[0].requestHeaders?.authorization, `Basic ${MASKED}`, 'the client secret is masked');
  t.equal((calls[0].response?.body as { access_token: string }).access_token, MASKED);
  t.notOk(JSON.stringify(calls).includes([...u.valid][0]));
  settings.password = 'nope';
  const err = await failure(client.call(get));
  t.equal(err.transient, false);
  t.equal(err.reasonCode, 'invalid_grant');
  t.match(err.message, /login as 'alice' refused \(invalid_grant\)/);
});
