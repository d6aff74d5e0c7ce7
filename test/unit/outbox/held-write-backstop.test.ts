/**
 * How long a failed probe's write waits uncharged (SystemBreaker.probeFailed, Outbox.recordFailure),
 * at the shipped settings (src/config/settings.ts: outbox.maxAttempts 12, so the bound is 2.0 h),
 * on a fake clock (Date.now, which the outbox, its store calls and cockatiel all read): the worker
 * is run pass by pass, the clock moved to the next due job. A system down however long holds every
 * write, one alone included (connections refused, 503, a maintenance page answering every request),
 * and delivers each once when it recovers. One write a healthy system answers 504 every time on
 * its own (a poisoned record behind a proxy that times out on it) is held only for
 * outbox.maxAttempts × outbox.backoffCapMs from its first failure, then charged again and
 * dead-lettered with its reason: it was re-sent every breakerOpenMs for ever.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { malformedAnswer, transportError } from '../../../src/upstream/errors.js';
import { Outbox, type OutboxSettings } from '../../../src/outbox/outbox.js';
import { breakerOptionsFrom } from '../../../src/outbox/breaker-settings.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import { defaultSettings } from '../../../src/config/load.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';

const HOUR = 3_600_000;
const SHIPPED = defaultSettings();
/** The outbox as the server makes it from the shipped settings (main.ts applyOutboxSettings). */
const OPTIONS: OutboxSettings = {
  pollMs: 60_000,
  backoff: {
    baseMs: Number(SHIPPED['outbox.backoffBaseMs']),
    capMs: Number(SHIPPED['outbox.backoffCapMs']),
    maxAttempts: Number(SHIPPED['outbox.maxAttempts']),
  },
  breaker: breakerOptionsFrom(SHIPPED),
};
const BOUND_MS = OPTIONS.backoff!.maxAttempts! * OPTIONS.backoff!.capMs!;
const OPEN_MS = OPTIONS.breaker!.halfOpenAfterMs!;

const gatewayTimeout = () =>
  new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 504, diagnostics: 'Gateway Timeout' });
const badGateway = () =>
  new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 502, diagnostics: 'Bad Gateway' });
const unavailable = () =>
  new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 503, diagnostics: 'Service Unavailable' });
const serverError = () =>
  new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 500, diagnostics: 'Internal Server Error' });
/** What the connector makes of a connection refused (upstream/errors.ts transportError). */
const refused = (key: string) =>
  transportError(
    'lmis',
    Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:443'), { code: 'ECONNREFUSED' }),
    'POST',
    `/api/orders/${key}`,
    30_000,
  );

/** A GET look-up answered without its list (a gateway's, or one poisoned item's). */
const oddRead = () => malformedAnswer('lmis', 'GET /api/items?code=PCM500T answered without a results list');
/** A gateway in maintenance answers each write's own request `200 {"message":"maintenance"}`. */
const maintenance = (key: string) => malformedAnswer('lmis', `POST /api/orders/${key} answered {"message"}, no order`);

interface Rig {
  outbox: Outbox;
  store: Store;
  /** Upstream calls per idempotency key. */
  calls: Map<string, number>;
  /** Delivered writes per idempotency key. */
  delivered: Map<string, number>;
  /** When the rig was made (ms). */
  start: number;
  now(): number;
  /** Runs the worker pass by pass, the clock moved to the next due job, until `until` (fake ms). */
  runUntil(until: number, keys: string[]): Promise<void>;
}

async function rig(
  t: { teardown(fn: () => Promise<void>): void },
  engine: EngineCase,
  /** The system's answer to `key`, `elapsed` ms after the rig was made. */
  answer: (key: string, elapsed: number) => 'ok' | Error,
  /** Whether the system answers its readiness check `elapsed` ms after the rig was made (default: it does). */
  answers: (elapsed: number) => boolean = () => true,
): Promise<Rig> {
  const db = await engine.freshDatabase();
  // opened before the clock is moved: PostgreSQL's store refuses a clock off the server's
  const store = await openStore({ databaseUrl: db.databaseUrl });
  // real time moves on (loops waiting on the clock end), shifted by jumps to each due job
  const realNow = Date.now;
  let skew = 0;
  const clock = () => realNow() + skew;
  const start = clock();
  Date.now = clock;
  const outbox = new Outbox({ store, options: OPTIONS, systemAnswers: async () => answers(clock() - start) });
  const calls = new Map<string, number>();
  const delivered = new Map<string, number>();
  outbox.register('order', 'lmis', async (job) => {
    const key = job.idempotencyKey;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const a = answer(key, clock() - start);
    if (a !== 'ok') throw a;
    delivered.set(key, (delivered.get(key) ?? 0) + 1);
    return { system: 'lmis', ids: { order: key } };
  });
  t.teardown(async () => {
    await outbox.stop();
    await store.close();
    Date.now = realNow;
    await db.drop();
  });
  const jobsOf = async (keys: string[]) => (await Promise.all(keys.map((k) => store.findJobsByKey(k)))).flat();
  const idle = async (keys: string[]) => {
    for (let i = 0; i < 2_000; i++) {
      if (!(await jobsOf(keys)).some((j) => j.status === 'in-flight')) return;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error('an attempt did not end');
  };
  return {
    outbox,
    store,
    calls,
    delivered,
    start,
    now: clock,
    async runUntil(until, keys) {
      while (clock() < until) {
        await outbox.runOnce();
        await idle(keys);
        const pending = (await jobsOf(keys)).filter((j) => j.status === 'pending');
        if (pending.length === 0) return;
        const next = Math.min(...pending.map((j) => j.nextAttemptAt));
        skew += Math.max(1, next - clock());
        // due already but held by the open breaker: on to when its probe is due
        while (outbox.breakerGates(clock()).lmis === 'open') skew += 1_000;
      }
    },
  };
}

async function accept(r: Rig, key: string): Promise<void> {
  await r.outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: key, payload: {} });
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const outages: [string, string[], number, (key: string) => Error][] = [
      ['answering 504 for two hours', ['o-a', 'o-b', 'o-c'], 2 * HOUR, gatewayTimeout],
      ['refusing connections for six hours', ['o-alone'], 6 * HOUR, refused],
      ['answering 503 for six hours', ['o-alone'], 6 * HOUR, unavailable],
      ['in maintenance for five hours (every request answered oddly)', ['o-a', 'o-b', 'o-c'], 5 * HOUR, maintenance],
      // nginx in front of a backend that is down: the most common outage behind a proxy
      ['behind a proxy answering 502 for six hours', ['o-alone'], 6 * HOUR, badGateway],
      ['behind a proxy answering 504 for six hours', ['o-alone'], 6 * HOUR, gatewayTimeout],
      ['behind a gateway answering one shared read oddly for four hours', ['o-x', 'o-y', 'o-z'], 4 * HOUR, oddRead],
    ];
    for (const [what, keys, lasts, failure] of outages) {
      t.test(`a system ${what} holds ${keys.length} write(s), each delivered once after it`, async (t) => {
        // its readiness check fails as long as the outage lasts, as /ready's would
        const r = await rig(
          t,
          engine,
          (key, elapsed) => (elapsed < lasts ? failure(key) : 'ok'),
          (elapsed) => elapsed >= lasts,
        );
        for (const k of keys) await accept(r, k);
        await r.runUntil(r.start + lasts + HOUR, keys);
        for (const k of keys) {
          const [job] = await r.store.findJobsByKey(k);
          t.equal(job.status, 'done', `${k}: delivered after the outage (${job.attempts}, ${job.lastError})`);
          t.equal(r.delivered.get(k), 1, `${k}: once`);
        }
      });
    }

    t.test('one write a healthy system answers 504 every time is charged after the bound, then dead', async (t) => {
      const r = await rig(t, engine, (key) => (key === 'o-poisoned' ? gatewayTimeout() : 'ok'));
      await accept(r, 'o-poisoned');
      await r.runUntil(r.start + BOUND_MS - OPEN_MS, ['o-poisoned']);
      t.equal((await r.store.findJobsByKey('o-poisoned'))[0].status, 'pending', 'held within the bound');
      await r.runUntil(r.start + 12 * HOUR, ['o-poisoned']);
      const [job] = await r.store.findJobsByKey('o-poisoned');
      t.equal(job.status, 'dead', `dead-lettered (${job.attempts} attempts, ${r.calls.get('o-poisoned')} calls)`);
      t.match(job.lastError, /Gateway Timeout/, 'with its reason');
      t.ok(
        r.now() < r.start + BOUND_MS + 2 * HOUR,
        `dead ${((r.now() - r.start) / HOUR).toFixed(1)} h after it was accepted`,
      );
    });

    t.test('two writes meeting one GET answered oddly for two hours: held, each delivered after it', async (t) => {
      const keys = ['o-x', 'o-y'];
      const gateway = await rig(
        t,
        engine,
        (_key, elapsed) => (elapsed < 2 * HOUR ? oddRead() : 'ok'),
        (elapsed) => elapsed >= 2 * HOUR,
      );
      for (const k of keys) await accept(gateway, k);
      await gateway.runUntil(gateway.start + 3 * HOUR, keys);
      for (const k of keys) {
        const [job] = await gateway.store.findJobsByKey(k);
        t.equal(job.status, 'done', `a 2-hour maintenance: ${k} delivered after it (${job.attempts})`);
      }
    });

    t.test('two writes meeting one GET answered oddly for ever: dead-lettered after the bound', async (t) => {
      const keys = ['o-x', 'o-y'];
      const poisoned = await rig(t, engine, () => oddRead());
      for (const k of keys) await accept(poisoned, k);
      await poisoned.runUntil(poisoned.start + 12 * HOUR, keys);
      for (const k of keys) {
        const [job] = await poisoned.store.findJobsByKey(k);
        t.equal(job.status, 'dead', `a poisoned read for ever: ${k} dead-lettered (${job.attempts} attempts)`);
      }
    });

    t.test('a write retried by an operator after its dead letter is held the whole bound again', async (t) => {
      const r = await rig(t, engine, (key) => (key === 'o-poisoned' ? gatewayTimeout() : 'ok'));
      await accept(r, 'o-poisoned');
      await r.runUntil(r.start + BOUND_MS + 2 * HOUR, ['o-poisoned']);
      const [dead] = await r.store.findJobsByKey('o-poisoned');
      t.equal(dead.status, 'dead', 'dead-lettered first');
      t.ok((await retryOutboxJob(r.store, dead.id, 'operator', 'dead')).ok, 'retried');
      const retriedAt = r.now();
      const callsBefore = r.calls.get('o-poisoned') ?? 0;
      await r.runUntil(retriedAt + BOUND_MS - OPEN_MS, ['o-poisoned']);
      const [job] = await r.store.findJobsByKey('o-poisoned');
      const tried = (r.calls.get('o-poisoned') ?? 0) - callsBefore;
      t.equal(job.status, 'pending', `held again within the bound from the retry (tried ${tried} times)`);
      t.ok(tried > 1, 'its probes were sent meanwhile');
      await r.runUntil(retriedAt + BOUND_MS + 2 * HOUR, ['o-poisoned']);
      t.equal((await r.store.findJobsByKey('o-poisoned'))[0].status, 'dead', 'then dead again');
    });

    t.test('a dead-lettered write no longer counts as another one failing', async (t) => {
      const r = await rig(t, engine, (key) => (key === 'o-500' ? serverError() : gatewayTimeout()));
      await accept(r, 'o-500');
      await r.runUntil(r.start + 12 * HOUR, ['o-500']);
      t.equal((await r.store.findJobsByKey('o-500'))[0].status, 'dead', 'a write answered 500 alone dies');
      const from = r.now();
      await accept(r, 'o-504');
      await r.runUntil(from + 12 * HOUR, ['o-504']);
      const [job] = await r.store.findJobsByKey('o-504');
      t.equal(job.status, 'dead', `the next write answered 504 alone dies after the bound (${job.attempts})`);
      t.ok(
        r.now() < from + BOUND_MS + 2 * HOUR,
        `dead ${((r.now() - from) / HOUR).toFixed(1)} h after it was accepted`,
      );
    });
  });
}
