/**
 * A retry after an attempt that timed out waits at least settleMs: the upstream may still apply
 * the request we stopped waiting for, and the retry's look-up must see that late write rather
 * than write a second time. A failure whose outcome is known (a 503 answer) retries on the
 * ordinary backoff.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';

const SETTLE_MS = 60_000;

async function setup(
  t: { teardown(fn: () => Promise<void>): void },
  fail: (signal: AbortSignal) => Promise<never>,
  breaker?: { consecutiveFailures: number; halfOpenAfterMs: number },
) {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({
    store,
    options: {
      deadlineMs: 1_000,
      attemptTimeoutMs: 100,
      leaseMs: 500,
      settleMs: SETTLE_MS,
      backoff: { baseMs: 10, capMs: 20, maxAttempts: 5 },
      ...(breaker ? { breaker } : {}),
    },
  });
  outbox.register('order', 'lmis', (_job, _journal, ctx) => fail(ctx.signal));
  t.teardown(async () => {
    await outbox.stop();
    await store.close();
  });
  return { outbox, store };
}

t.test('an attempt that timed out: the retry waits settleMs', async (t) => {
  const { outbox, store } = await setup(
    t,
    (signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  );
  const before = Date.now();
  const res = await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'o-1', payload: {} });
  t.equal(res.kind, 'queued');
  const job = (await store.findJobsByKey('o-1'))[0];
  t.equal(job.status, 'pending');
  t.ok(
    job.nextAttemptAt >= before + SETTLE_MS,
    `next attempt not before the settle time (due in ${job.nextAttemptAt - before} ms)`,
  );
});

t.test("the client's own request timeout counts the same", async (t) => {
  const { outbox, store } = await setup(t, async () => {
    throw new UpstreamError({
      system: 'lmis',
      transient: true,
      code: 'timeout',
      diagnostics: 'did not answer within 30000 ms',
    });
  });
  const before = Date.now();
  await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'o-2', payload: {} });
  t.ok((await store.findJobsByKey('o-2'))[0].nextAttemptAt >= before + SETTLE_MS);
});

t.test('a dropped connection or a gateway timeout counts the same', async (t) => {
  for (const [key, err] of [
    [
      'o-4',
      new UpstreamError({ system: 'lmis', transient: true, diagnostics: 'POST /x failed: ECONNRESET socket hang up' }),
    ],
    [
      'o-5',
      new UpstreamError({
        system: 'lmis',
        transient: true,
        upstreamStatus: 504,
        diagnostics: 'HTTP 504 from the gateway',
      }),
    ],
  ] as const) {
    const { outbox, store } = await setup(t, async () => {
      throw err;
    });
    const before = Date.now();
    await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: key, payload: {} });
    t.ok((await store.findJobsByKey(key))[0].nextAttemptAt >= before + SETTLE_MS, key);
  }
});

t.test('a known failure (503 answered) retries on the backoff alone', async (t) => {
  const { outbox, store } = await setup(t, async () => {
    throw new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 503, diagnostics: 'HTTP 503' });
  });
  const before = Date.now();
  await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'o-3', payload: {} });
  const job = (await store.findJobsByKey('o-3'))[0];
  t.equal(job.status, 'pending');
  t.ok(job.nextAttemptAt < before + SETTLE_MS, 'due on the ordinary backoff');
});

t.test('a probe that timed out waits settleMs too, not only until the breaker reopens', async (t) => {
  // breakerOpenMs far below settleMs: the probe's retry would look before its write could land
  const { outbox, store } = await setup(
    t,
    async () => {
      throw new UpstreamError({
        system: 'lmis',
        transient: true,
        code: 'timeout',
        diagnostics: 'did not answer within 30000 ms',
      });
    },
    { consecutiveFailures: 1, halfOpenAfterMs: 20 },
  );
  await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'o-a', payload: {} }); // opens it
  const held = await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'o-b', payload: {} });
  t.equal(held.kind, 'queued', 'the second write is held by the open breaker');
  await new Promise((r) => setTimeout(r, 40));
  const before = Date.now();
  await outbox.runOnce(); // o-b is the probe, and times out too
  let probe = (await store.findJobsByKey('o-b'))[0];
  for (let i = 0; i < 500 && probe.status === 'in-flight'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    probe = (await store.findJobsByKey('o-b'))[0];
  }
  t.equal(probe.attempts, 0, `the probe ran and was not charged (${probe.attempts}, ${probe.lastError})`);
  t.ok(
    probe.nextAttemptAt >= before + SETTLE_MS - 50,
    `its retry not before the settle time (due in ${probe.nextAttemptAt - before} ms)`,
  );
});
