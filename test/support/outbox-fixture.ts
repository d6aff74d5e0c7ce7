import type { Test } from 'tap';
import { startFaultyUpstream, type FaultyUpstream } from '../../sandbox/faulty-upstream/server.js';
import { faultyUpstreamHandlers } from '../../sandbox/faulty-upstream/handlers.js';
import type { FaultSettings } from '../../sandbox/faulty-upstream/faults.js';
import { Outbox, type OutboxSettings } from '../../src/outbox/outbox.js';
import type { OutboxMetrics } from '../../src/outbox/metrics.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { EngineCase } from './outbox-engines.js';

/** Fast timings for unit tests. */
export const FAST: OutboxSettings = {
  leaseMs: 2_000,
  attemptTimeoutMs: 1_000,
  settleMs: 50,
  deadlineMs: 3_000,
  backoff: { baseMs: 5, capMs: 20, maxAttempts: 20 },
  breaker: { consecutiveFailures: 50, halfOpenAfterMs: 100 },
  pollMs: 10,
  duplicatePollMs: 10,
};

export interface OutboxFixture {
  databaseUrl: string;
  store: Store;
  upstream: FaultyUpstream;
  outbox: Outbox;
  /** Handler invocations (upstream write attempts) per flow. */
  calls: Record<string, number>;
  /** Another mediator instance on the same database (its own store connection). */
  secondInstance(options?: OutboxSettings): Promise<Outbox>;
}

/** A fresh database, a faulty upstream (no faults unless given) and an outbox wired to it. */
export async function outboxFixture(
  t: Test,
  engine: EngineCase,
  opts: { options?: OutboxSettings; faults?: Partial<FaultSettings>; metrics?: OutboxMetrics } = {},
): Promise<OutboxFixture> {
  const db = await engine.freshDatabase({ migrated: true });
  t.teardown(db.drop);
  const upstream = await startFaultyUpstream({ faults: opts.faults });
  t.teardown(() => upstream.close());
  const calls: Record<string, number> = { write: 0, twoStep: 0 };

  async function instance(store: Store, options: OutboxSettings | undefined, metrics?: OutboxMetrics): Promise<Outbox> {
    const outbox = new Outbox({ store, options: { ...FAST, ...options }, metrics });
    const h = faultyUpstreamHandlers(upstream.url, 'faulty');
    outbox.register('write', 'faulty', async (job, journal, ctx) => {
      calls.write += 1;
      return h.write(job, journal, ctx);
    });
    outbox.register('twoStep', 'faulty', async (job, journal, ctx) => {
      calls.twoStep += 1;
      return h.twoStep(job, journal, ctx);
    });
    t.teardown(async () => {
      await outbox.stop(5_000);
      await store.close();
    });
    return outbox;
  }

  const store = await openStore({ databaseUrl: db.databaseUrl });
  const outbox = await instance(store, opts.options, opts.metrics);
  return {
    databaseUrl: db.databaseUrl,
    store,
    upstream,
    outbox,
    calls,
    secondInstance: async (options) =>
      instance(await openStore({ databaseUrl: db.databaseUrl }), { ...opts.options, ...options }),
  };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
