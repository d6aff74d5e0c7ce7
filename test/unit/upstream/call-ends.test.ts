/**
 * What an attempt is told of a client's call: the call once, from before it waits for a
 * connection until its last retry ends (asking … ended: a timed-out attempt names the system it is
 * still waiting on, not one that answered: outbox.ts LazyAbort.waitedOn, AttemptTimeoutError), and
 * each request that went out (calling: the systems its breaker decides on). A request was told to
 * the wait a second time too, with an end of its own (two entries a request, each removed by its
 * end): one tracker now, each call waited on once, its retries inside it. A shared
 * fill's call ends for the attempt that started it, as it was told to it. A real client
 * (client.ts) of a real upstream.
 */
import t from 'tap';
import { outsideAttempt, runInAttempt, type AttemptScope } from '../../../src/upstream/attempt-scope.js';
import { basicAuth } from '../../../src/upstream/auth/basic.js';
import { staticTokenAuth } from '../../../src/upstream/auth/static-token.js';
import { clientFor, failure, startUpstream } from './harness.js';

function recordingScope(events: string[], who = ''): AttemptScope {
  return {
    abandonedBy: undefined,
    calling: (system) => events.push(`${who}calling ${system}`),
    asking: (system) => events.push(`${who}asking ${system}`),
    ended: (system) => events.push(`${who}ended ${system}`),
  };
}

t.test('a call is waited on once, its retries inside it; each request is told as sent', async (t) => {
  let flaky = 0;
  const u = await startUpstream((app) => {
    app.get('/ok', async () => ({ ok: true }));
    // two 503s, then the answer: the client's retries of a read
    app.get('/flaky', async (_req, reply) => (++flaky <= 2 ? reply.code(503).send({ error: 'busy' }) : { ok: true }));
  });
  t.teardown(() => u.close());
  const lmis = clientFor(
    { baseUrl: u.url, timeoutMs: 5_000, concurrency: 1, token: 'k' },
    () => staticTokenAuth({ token: () => 'k', scheme: 'Bearer' }),
    'lmis',
  );
  t.teardown(() => lmis.close());

  const events: string[] = [];
  let whileWaiting: string[] = [];
  await runInAttempt(recordingScope(events), async () => {
    const answered = lmis.call({ method: 'GET', path: '/ok' });
    await new Promise((resolve) => setImmediate(resolve));
    whileWaiting = [...events];
    await answered;
    await lmis.call({ method: 'GET', path: '/flaky' });
  });
  t.same(whileWaiting.slice(0, 1), ['asking lmis'], 'waited on from the start of the call');
  t.same(
    events,
    [
      'asking lmis',
      'calling lmis',
      'ended lmis',
      'asking lmis',
      'calling lmis',
      'calling lmis',
      'calling lmis',
      'ended lmis',
    ],
    'one wait a call, ended once after its last retry; every request told as sent',
  );
});

t.test('a call that fails ends once', async (t) => {
  // refused: no answer at all (port 1, as http.test.ts), a write (not retried)
  const gone = clientFor(
    { baseUrl: 'http://127.0.0.1:1', timeoutMs: 5_000, concurrency: 1, username: 'alice', password: 'wonderland' },
    (s) => basicAuth(() => ({ username: s().username!, password: s().password! })),
    'msupply',
  );
  t.teardown(() => gone.close());
  const events: string[] = [];
  await runInAttempt(recordingScope(events), async () => {
    await failure(gone.call({ method: 'POST', path: '/x', body: {} }));
  });
  t.same(events, ['asking msupply', 'calling msupply', 'ended msupply'], 'ended once, failed');
});

t.test("a shared fill's call ends for the attempt that started it", async (t) => {
  const u = await startUpstream((app) => app.get('/ok', async () => ({ ok: true })));
  t.teardown(() => u.close());
  const lmis = clientFor(
    { baseUrl: u.url, timeoutMs: 5_000, concurrency: 1, token: 'k' },
    () => staticTokenAuth({ token: () => 'k', scheme: 'Bearer' }),
    'lmis',
  );
  t.teardown(() => lmis.close());
  const events: string[] = [];
  await runInAttempt(recordingScope(events, 'starter '), () =>
    outsideAttempt(() => lmis.call({ method: 'GET', path: '/ok' })),
  );
  t.same(events, ['starter asking lmis', 'starter calling lmis', 'starter ended lmis']);
});
