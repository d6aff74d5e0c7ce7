import t from 'tap';
import { runInAttempt, type AttemptScope } from '../../../src/upstream/attempt-scope.js';
import { clientFor, recorded, startUpstream } from './harness.js';
import { staticTokenAuth } from '../../../src/upstream/auth/static-token.js';

/**
 * A call that waits for one of its system's connections (settings.concurrency) is started by the
 * call that frees the connection (cockatiel's bulkhead runs its queue from the releasing call's
 * finally). What a call knows from its async context must still be its own: the OpenHIM
 * transaction its orchestration is recorded in, and the outbox attempt that decides whether it
 * may still write. Taken from the releasing call, a queued call's orchestration went into another
 * client's transaction (and was missing from its own), and a live attempt's write was refused
 * because the call before it belonged to an abandoned attempt.
 */
async function slowUpstream(t: { teardown(fn: () => unknown): void }) {
  const u = await startUpstream((app) => {
    const slow = async (req: { url: string }) => {
      await new Promise((r) => setTimeout(r, 150));
      return { path: req.url };
    };
    app.get('/slow/:name', slow);
    app.post('/slow/:name', slow);
  });
  const client = clientFor({ baseUrl: u.url, timeoutMs: 2_000, concurrency: 1, token: 'k' }, () =>
    staticTokenAuth({ token: () => 'k', scheme: 'Bearer' }),
  );
  t.teardown(async () => {
    await client.close();
    await u.close();
  });
  return { u, client };
}

t.test('a queued call records its orchestration in its own transaction', async (t) => {
  const { client } = await slowUpstream(t);
  const [first, second] = await Promise.all([
    recorded(() => client.call({ method: 'GET', path: '/slow/first' })),
    recorded(() => client.call({ method: 'GET', path: '/slow/second' })),
  ]);
  t.same(
    first.calls.map((c) => new URL(c.url).pathname),
    ['/slow/first'],
    'the first transaction has its own call only',
  );
  t.same(
    second.calls.map((c) => new URL(c.url).pathname),
    ['/slow/second'],
    'the queued call is recorded in the transaction that made it',
  );
});

t.test("a live attempt's queued write is not refused for the abandoned attempt before it", async (t) => {
  const { u, client } = await slowUpstream(t);
  const abandoned: { abandonedBy: unknown } = { abandonedBy: undefined };
  const live: AttemptScope = { abandonedBy: undefined };
  const old = runInAttempt(abandoned, () => client.call({ method: 'GET', path: '/slow/old' }));
  const write = runInAttempt(live, () => client.call({ method: 'POST', path: '/slow/new', body: {} }));
  // the first attempt is abandoned while its read holds the only connection
  setTimeout(() => (abandoned.abandonedBy = new Error('attempt abandoned')), 50);
  await old;
  t.same(await write, { path: '/slow/new' }, 'the live attempt wrote');
  t.equal(u.hits('POST /slow/new'), 1);
});

t.test("an abandoned attempt's queued write is refused even when a live call frees the connection", async (t) => {
  const { u, client } = await slowUpstream(t);
  const live: AttemptScope = { abandonedBy: undefined };
  const abandoned: { abandonedBy: unknown } = { abandonedBy: undefined };
  const read = runInAttempt(live, () => client.call({ method: 'GET', path: '/slow/live' }));
  const write = runInAttempt(abandoned, () => client.call({ method: 'POST', path: '/slow/late', body: {} }));
  setTimeout(() => (abandoned.abandonedBy = new Error('attempt abandoned')), 50);
  await read;
  const err = await write.catch((e: unknown) => e);
  t.ok(err instanceof Error && err.message === 'attempt abandoned', 'refused with why its attempt was abandoned');
  t.equal(u.hits('POST /slow/late'), 0, 'nothing sent');
});
