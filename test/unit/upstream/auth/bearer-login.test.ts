import t from 'tap';
import { bearerLoginAuth } from '../../../../src/upstream/auth/bearer-login.js';
import { loginError } from '../../../../src/upstream/auth/login-error.js';
import { exchange, MASKED } from '../../../../src/upstream/http.js';
import { processRedactor } from '../../../../src/platform/redaction.js';
import { failure, recorded, type Settings, upstreamAsAlice } from '../harness.js';

/** A REST login for a bearer (the shape of Open mSupply's authToken, without GraphQL). */
const loginAuth = (s: () => Settings) =>
  bearerLoginAuth({
    credentials: () => [s().username, s().password],
    login: async (ctx) => {
      const { username, password } = s();
      const res = await exchange(ctx.dispatcher, {
        system: ctx.system,
        method: 'POST',
        baseUrl: ctx.baseUrl,
        path: '/login',
        timeoutMs: ctx.timeoutMs,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username, password }),
        recordedBody: { username, password: MASKED },
        recordResponse: (b) => ({ ...(b as object), token: MASKED }),
      });
      const body = res.body as { token?: string; error?: string };
      if (res.status !== 200 || !body.token)
        throw loginError({
          system: ctx.system,
          status: res.status,
          code: body.error,
          refused: (c) => `login refused (${c})`,
        });
      return { value: body.token };
    },
  });

const get = { method: 'GET' as const, path: '/protected', retry: false };

t.test('N concurrent calls, then N concurrent refusals: one login each time', async (t) => {
  const { u, client } = await upstreamAsAlice(t, loginAuth, 4);

  const first = await Promise.all(Array.from({ length: 10 }, () => client.call<{ ok: boolean }>(get)));
  t.ok(first.every((r) => r.ok));
  t.equal(u.hits('POST /login'), 1, 'ten calls, one login');

  u.forgetAll(); // the upstream restarted: every token is refused
  const before = u.hits('GET /protected');
  const second = await Promise.all(Array.from({ length: 10 }, () => client.call<{ ok: boolean }>(get)));
  t.ok(
    second.every((r) => r.ok),
    'every refused call succeeded when replayed',
  );
  t.equal(u.hits('POST /login'), 2, 'ten 401s, one fresh login');
  t.ok(u.hits('GET /protected') - before <= 20, 'each call sent at most twice');
});

t.test('a credential changed live forgets the cached token; a wrong one is a permanent error', async (t) => {
  const { u, settings, client } = await upstreamAsAlice(t, loginAuth, 2);
  await client.call(get);
  t.equal(u.hits('POST /login'), 1);

  settings.password = 'not-it';
  const err = await failure(client.call(get));
  t.equal(u.hits('POST /login'), 2, 'the still-valid token was not reused after the change');
  t.equal(err.transient, false, 'a wrong password is not retried');
  t.equal(err.reasonCode, 'InvalidCredentials');
  t.notMatch(err.message, /not-it/);

  u.passwords.set('bob', 'builder');
  Object.assign(settings, { username: 'bob', password: 'builder' });
  t.same(await client.call(get), { ok: true }, 'the new user works without a restart');
  t.equal(u.hits('POST /login'), 3);
});

t.test('the token never appears in recorded calls, and the redactor knows it', async (t) => {
  const { u, client } = await upstreamAsAlice(t, loginAuth, 2);
  await client.call(get);
  const [token] = [...u.valid];
  u.forgetAll(); // so the next call is refused (its 401 echoes the token in WWW-Authenticate) and replayed
  const { calls } = await recorded(() => client.call(get));
  t.same(
    calls.map((c) => `${c.method} ${new URL(c.url).pathname} ${c.response?.status}`),
    ['GET /protected 401', 'POST /login 200', 'GET /protected 200'],
  );
  t.equal(calls[0].requestHeaders?.authorization, `Bearer ${MASKED}`);
  t.same(
    calls[1].requestBody,
    { username: 'alice', password: MASKED },
    'the login form is recorded without the password',
  );
  t.equal(
    (calls[1].response?.body as { token: string }).token,
    MASKED,
    'the issued token is masked in the login answer',
  );
  const newToken = [...u.valid][0];
  const text = JSON.stringify(calls);
  t.notOk(text.includes(newToken), 'the new token is in no recorded header or body');
  t.notOk(
    processRedactor.redact(text).includes(token),
    'the refused token echoed in WWW-Authenticate is masked by the redactor',
  );
  t.notOk(processRedactor.redact(`x ${newToken} y`).includes(newToken), 'every issued token is taught to the redactor');
});

t.test('one caller giving up stops waiting at once; the login others wait on goes on (single flight)', async (t) => {
  let release!: (token: string) => void;
  let logins = 0;
  const auth = bearerLoginAuth({
    credentials: () => 'alice',
    // a login that honours the context's signal, as Open mSupply's GraphQL exchange does
    login: (ctx) => {
      logins += 1;
      return new Promise((resolve, reject) => {
        ctx.signal?.addEventListener('abort', () => reject(new Error('login aborted')));
        release = (value) => resolve({ value });
      });
    },
  });
  const ctx = { dispatcher: undefined as never, system: 'test', baseUrl: 'http://upstream', timeoutMs: 1000 };
  const leaving = new AbortController();
  const first = auth.authorize({ ...ctx, signal: leaving.signal });
  const second = auth.authorize({ ...ctx, signal: new AbortController().signal });
  const gaveUp = new Error('the client went away');
  leaving.abort(gaveUp);
  // the login is still pending here: the caller that left is not held until it ends
  await t.rejects(first, gaveUp, 'the caller that left stops waiting with its own reason');
  release('token-1');
  t.equal((await second).credential, 'token-1', 'the caller still waiting gets the token');
  t.equal((await auth.authorize(ctx)).credential, 'token-1', 'the token the login got is cached for the next caller');
  t.equal(logins, 1, 'one login for all three');
});
