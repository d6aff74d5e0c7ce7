import t from 'tap';
import { sessionCookieAuth } from '../../../../src/upstream/auth/session-cookie.js';
import { MASKED } from '../../../../src/upstream/http.js';
import { processRedactor } from '../../../../src/platform/redaction.js';
import { clientFor, failure, recorded, startUpstream, type Settings, upstreamAsAlice } from '../harness.js';

const cookieAuth = (s: () => Settings) =>
  sessionCookieAuth({ credentials: () => ({ username: s().username, password: s().password }) });
const get = { method: 'GET' as const, path: '/protected', retry: false };

t.test('one session for N concurrent calls; a lost session is re-opened once for N refusals', async (t) => {
  const { u, client } = await upstreamAsAlice(t, cookieAuth, 4);
  t.ok((await Promise.all(Array.from({ length: 8 }, () => client.call<{ ok: boolean }>(get)))).every((r) => r.ok));
  t.equal(u.hits('GET /ws/rest/v1/session'), 1, 'eight calls, one session');
  u.forgetAll(); // session timeout or restart
  const before = u.hits('GET /protected');
  t.ok((await Promise.all(Array.from({ length: 8 }, () => client.call<{ ok: boolean }>(get)))).every((r) => r.ok));
  t.equal(u.hits('GET /ws/rest/v1/session'), 2, 'eight 401s, one fresh session');
  t.ok(u.hits('GET /protected') - before <= 16, 'each call sent at most twice');
});

t.test('a credential changed live opens a new session; a wrong password is a permanent login error', async (t) => {
  const { u, settings, client } = await upstreamAsAlice(t, cookieAuth, 2);
  await client.call(get);
  settings.password = 'wrong-password';
  const err = await failure(client.call(get));
  t.equal(u.hits('GET /ws/rest/v1/session'), 2, 'the change was noticed without a 401');
  t.equal(err.transient, false);
  t.match(err.message, /login as 'alice' refused/);
  t.notMatch(err.message, /wrong-password/);
  u.passwords.set('alice', 'new-password');
  settings.password = 'new-password';
  t.same(await client.call(get), { ok: true });
});

t.test(
  'the session cookie is masked in recorded calls (request and Set-Cookie) and known to the redactor',
  async (t) => {
    const u = await startUpstream();
    const settings: Settings = {
      baseUrl: u.url,
      timeoutMs: 2_000,
      concurrency: 2,
      username: 'alice',
      password: 'wonderland',
    };
    const client = clientFor(settings, cookieAuth);
    t.teardown(async () => {
      await client.close();
      await u.close();
    });
    const { calls } = await recorded(() => client.call(get));
    const [session] = [...u.valid];
    t.same(
      calls.map((c) => new URL(c.url).pathname),
      ['/ws/rest/v1/session', '/protected'],
    );
    t.equal(calls[0].requestHeaders?.authorization, `Basic ${MASKED}`, 'the Basic login is masked');
    t.equal(
      calls[0].response?.headers?.['set-cookie'],
      `JSESSIONID=${MASKED}; Path=/; HttpOnly`,
      'Set-Cookie keeps its attributes, not its value',
    );
    t.equal(calls[1].requestHeaders?.cookie, `JSESSIONID=${MASKED}`);
    // the session answer's body repeats the id (OpenMRS sessionId): the redactor masks it in the envelope
    t.notOk(processRedactor.redact(JSON.stringify(calls)).includes(session));
  },
);

t.test('a call that gives up stops waiting for the shared session login, which goes on for the others', async (t) => {
  let openSession!: () => void;
  const sessionHeld = new Promise<void>((resolve) => (openSession = resolve));
  let sessionAsked!: () => void;
  const asked = new Promise<void>((resolve) => (sessionAsked = resolve));
  const { settings, client, u } = await upstreamAsAlice(t, cookieAuth, 2, (app) =>
    app.addHook('preHandler', async (req) => {
      if (!req.url.startsWith('/ws/rest/v1/session')) return;
      sessionAsked();
      await sessionHeld;
    }),
  );
  settings.timeoutMs = 20_000; // the login is held here, never timed out
  t.teardown(openSession);
  const leaving = new AbortController();
  const first = client.call({ ...get, signal: leaving.signal });
  const second = client.call<{ ok: boolean }>(get);
  await asked;
  const gaveUp = new Error('the client went away');
  leaving.abort(gaveUp);
  // the session login is still held by the upstream: the call that left is not kept until it ends
  await t.rejects(first, gaveUp, 'the call that left ends with its own reason');
  openSession();
  t.same(await second, { ok: true }, 'the call still waiting gets the session');
  t.same(await client.call(get), { ok: true });
  t.equal(u.hits('GET /ws/rest/v1/session'), 1, 'one session login for all three');
});
