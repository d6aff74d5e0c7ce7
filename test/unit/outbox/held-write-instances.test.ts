/**
 * A down system's writes held however many instances deliver them, or however often they restart
 * (last-attempt-hold.ts): each instance's circuit breaker counts in its own process, so with three
 * instances on one store each charged its own attempts before it opened, and one restarted began
 * closed. A lone write refused connections all night was dead-lettered at 0.41 h by three instances
 * (one holds it for the outage's length). One write a healthy system answers 504 every time is
 * still dead-lettered after the bound (outbox.maxAttempts × outbox.backoffCapMs from its first
 * failure, stored in failing_since) and not long after it.
 *
 * At the shipped settings, on a fake clock (Date.now, which the outboxes, their store calls and
 * cockatiel all read), as held-write-backstop.test.ts: the instances' workers are run pass by pass,
 * a different one first each pass, the clock moved to the next due job.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { malformedAnswer, transportError } from '../../../src/upstream/errors.js';
import { Outbox, type OutboxSettings } from '../../../src/outbox/outbox.js';
import { breakerOptionsFrom } from '../../../src/outbox/breaker-settings.js';
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

const gatewayTimeout = () =>
  new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 504, diagnostics: 'Gateway Timeout' });
const badGateway = () =>
  new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 502, diagnostics: 'Bad Gateway' });
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

/** A gateway in maintenance answers each write's own request `200 {"message":"maintenance"}`. */
const maintenance = (key: string) => malformedAnswer('lmis', `POST /api/orders/${key} answered {"message"}, no order`);

/** How the mediator runs: `instances` outboxes on one store; `restarting`: each made anew before every pass. */
interface Deployment {
  instances: number;
  restarting: boolean;
}

interface Rig {
  store: Store;
  /** Upstream calls per idempotency key. */
  calls: Map<string, number>;
  /** Delivered writes per idempotency key. */
  delivered: Map<string, number>;
  start: number;
  now(): number;
  accept(key: string): Promise<void>;
  /** Runs the instances' workers pass by pass, the clock moved to the next due job, until `until`. */
  runUntil(until: number, keys: string[]): Promise<void>;
}

async function rig(
  t: { teardown(fn: () => Promise<void>): void },
  engine: EngineCase,
  deployment: Deployment,
  /** The system's answer to `key`, `elapsed` ms after the rig was made. */
  answer: (key: string, elapsed: number) => 'ok' | Error,
  /** Whether `system` answers its readiness check `elapsed` ms after the rig was made. */
  answers: (elapsed: number, system: string) => boolean = () => true,
): Promise<Rig> {
  const db = await engine.freshDatabase();
  // opened before the clock is moved: PostgreSQL's store refuses a clock off the server's
  const store = await openStore({ databaseUrl: db.databaseUrl });
  const realNow = Date.now;
  let skew = 0;
  const clock = () => realNow() + skew;
  const start = clock();
  Date.now = clock;
  const calls = new Map<string, number>();
  const delivered = new Map<string, number>();
  // a restarted instance takes its slot's id again: each id holds one lease-holder session (its own
  // connection) until the store closes, and a new id per pass (hundreds of passes) held one each,
  // taking the test server's connections ("too many clients" beside another file). Nothing is in
  // flight across a restart (idle), so no lease of the id before it is taken for this one's.
  const instance = (_: unknown, slot: number): Outbox => {
    const outbox = new Outbox({
      store,
      options: { ...OPTIONS, instanceId: `instance-${slot}` },
      systemAnswers: async (system) => answers(clock() - start, system),
    });
    outbox.register('order', 'lmis', async (job) => {
      const key = job.idempotencyKey;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      const a = answer(key, clock() - start);
      if (a !== 'ok') throw a;
      delivered.set(key, (delivered.get(key) ?? 0) + 1);
      return { system: 'lmis', ids: { order: key } };
    });
    return outbox;
  };
  let outboxes = Array.from({ length: deployment.instances }, instance);
  t.teardown(async () => {
    for (const o of outboxes) await o.stop();
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
  let pass = 0;
  return {
    store,
    calls,
    delivered,
    start,
    now: clock,
    async accept(key) {
      await outboxes[0].acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: key, payload: {} });
    },
    async runUntil(until, keys) {
      while (clock() < until) {
        if (deployment.restarting) {
          for (const o of outboxes) await o.stop();
          outboxes = Array.from({ length: deployment.instances }, instance);
        }
        pass += 1;
        // a different instance first each pass: the due job is claimed by each in turn
        for (let i = 0; i < outboxes.length; i++) await outboxes[(pass + i) % outboxes.length].runOnce();
        await idle(keys);
        const pending = (await jobsOf(keys)).filter((j) => j.status === 'pending');
        if (pending.length === 0) return;
        const next = Math.min(...pending.map((j) => j.nextAttemptAt));
        skew += Math.max(1, next - clock());
        // due already but held back by every instance's open breaker: on to the first probe due
        while (outboxes.every((o) => o.breakerGates(clock()).lmis === 'open')) skew += 1_000;
      }
    },
  };
}

const deployments: [string, Deployment][] = [
  ['three instances on one store', { instances: 3, restarting: false }],
  ['an instance restarted before every pass', { instances: 1, restarting: true }],
];

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    for (const [how, deployment] of deployments) {
      t.test(how, async (t) => {
        const outages: [string, string[], number, (key: string) => Error][] = [
          ['refusing connections for six hours', ['o-alone'], 6 * HOUR, refused],
          ['behind a proxy answering 502 for six hours', ['o-alone'], 6 * HOUR, badGateway],
          [
            'in maintenance for five hours (every request answered oddly)',
            ['o-a', 'o-b', 'o-c'],
            5 * HOUR,
            maintenance,
          ],
        ];
        for (const [what, keys, lasts, failure] of outages) {
          t.test(`a system ${what} holds ${keys.length} write(s), each delivered once after it`, async (t) => {
            // its readiness check fails as long as the outage lasts, as /ready's would
            const r = await rig(
              t,
              engine,
              deployment,
              (key, elapsed) => (elapsed < lasts ? failure(key) : 'ok'),
              (elapsed) => elapsed >= lasts,
            );
            for (const k of keys) await r.accept(k);
            await r.runUntil(r.start + lasts + HOUR, keys);
            for (const k of keys) {
              const [job] = await r.store.findJobsByKey(k);
              t.equal(job.status, 'done', `${k}: delivered after the outage (${job.attempts}, ${job.lastError})`);
              t.equal(r.delivered.get(k), 1, `${k}: once`);
            }
          });
        }

        t.test('one write a healthy system answers 504 every time is dead-lettered after the bound', async (t) => {
          const r = await rig(t, engine, deployment, () => gatewayTimeout());
          await r.accept('o-poisoned');
          await r.runUntil(r.start + BOUND_MS - HOUR / 2, ['o-poisoned']);
          const [held] = await r.store.findJobsByKey('o-poisoned');
          t.equal(held.status, 'pending', `held within the bound (${held.attempts} attempts)`);
          await r.runUntil(r.start + 12 * HOUR, ['o-poisoned']);
          const [job] = await r.store.findJobsByKey('o-poisoned');
          t.equal(job.status, 'dead', `dead-lettered (${job.attempts} attempts, ${r.calls.get('o-poisoned')} calls)`);
          t.match(job.lastError, /Gateway Timeout/, 'with its reason');
          t.ok(
            r.now() < r.start + BOUND_MS + HOUR,
            `dead ${((r.now() - r.start) / HOUR).toFixed(1)} h after it was accepted`,
          );
        });

        t.test('one write a healthy system answers 500 every time is dead after its attempts', async (t) => {
          const r = await rig(t, engine, deployment, () => serverError());
          await r.accept('o-500');
          await r.runUntil(r.start + 12 * HOUR, ['o-500']);
          const [job] = await r.store.findJobsByKey('o-500');
          t.equal(job.status, 'dead', `dead-lettered (${job.attempts} attempts)`);
          t.equal(r.calls.get('o-500'), OPTIONS.backoff!.maxAttempts, 'after outbox.maxAttempts calls, none more');
        });
      });
    }

    // "others failing" lived only in each process's breaker: restarted before every pass, each
    // instance charged the writes again, and one failing 504 with the others while the readiness
    // check passed was dead-lettered at ~2 h; the store tells others failing since the last delivery
    t.test('restarted before every pass: writes failing 504 together are held while the check passes', async (t) => {
      const keys = ['o-a', 'o-b', 'o-c'];
      const lasts = 6 * HOUR;
      const r = await rig(t, engine, { instances: 1, restarting: true }, (_key, elapsed) =>
        elapsed < lasts ? gatewayTimeout() : 'ok',
      );
      for (const k of keys) await r.accept(k);
      await r.runUntil(r.start + lasts + HOUR, keys);
      for (const k of keys) {
        const [job] = await r.store.findJobsByKey(k);
        t.equal(job.status, 'done', `${k}: delivered after the outage (${job.attempts}, ${job.lastError})`);
        t.equal(r.delivered.get(k), 1, `${k}: once`);
      }
    });

    // only a deferral because the system is failing renews a job's outage mark (6b131a31): the
    // others' marks must stay fresh for the whole outage, three bounds long, or the poisoned write
    // beside them was charged while they all failed. Restarted, a pass's fresh breaker opens partway
    // through its claim; with three instances, one that saw no success since the outage remembered
    // the others failing after they were delivered elsewhere (breakers.ts failingJobs) and held the
    // poisoned write for good, sent every breakerOpenMs uncharged (~680 sends in 3 h, never dead)
    const beside: [string, Deployment][] = [
      ['restarted before every pass', { instances: 1, restarting: true }],
      ['three instances on one store', { instances: 3, restarting: false }],
    ];
    for (const [how, deployment] of beside)
      t.test(`${how}: a poisoned write is held while an outage lasts, then dies`, async (t) => {
        const others = ['o-a', 'o-b', 'o-c', 'o-d', 'o-e', 'o-f'];
        const keys = ['o-poisoned', ...others];
        const lasts = 3 * BOUND_MS;
        const r = await rig(t, engine, deployment, (key, elapsed) =>
          key === 'o-poisoned' || elapsed < lasts ? gatewayTimeout() : 'ok',
        );
        await r.accept('o-poisoned');
        for (const k of others) await r.accept(k);
        await r.runUntil(r.start + lasts - HOUR / 2, keys);
        const [held] = await r.store.findJobsByKey('o-poisoned');
        t.equal(held.status, 'pending', `held while the others fail with it (${held.attempts} attempts)`);
        await r.runUntil(r.start + lasts + BOUND_MS + HOUR, keys);
        const [job] = await r.store.findJobsByKey('o-poisoned');
        t.equal(
          job.status,
          'dead',
          `then dead-lettered (${job.attempts} attempts, ${r.calls.get('o-poisoned')} calls)`,
        );
        for (const k of others) t.equal(r.delivered.get(k), 1, `${k}: delivered once after the outage`);
      });

    t.test('restarted before every pass: two poisoned writes die at the bound while others deliver', async (t) => {
      const poisoned = ['o-p1', 'o-p2'];
      let fresh = 0;
      const r = await rig(t, engine, { instances: 1, restarting: true }, (key) =>
        poisoned.includes(key) ? gatewayTimeout() : 'ok',
      );
      for (const k of poisoned) await r.accept(k);
      // the system delivers other writes all along: one accepted before every pass's clock step
      while (r.now() < r.start + 12 * HOUR) {
        const other = `o-ok-${++fresh}`;
        await r.accept(other);
        await r.runUntil(r.now() + 1, [...poisoned, other]);
        const ended = await Promise.all(poisoned.map(async (k) => (await r.store.findJobsByKey(k))[0].status));
        if (ended.every((s) => s === 'dead')) break;
      }
      for (const k of poisoned) {
        const [job] = await r.store.findJobsByKey(k);
        t.equal(job.status, 'dead', `${k}: dead-lettered (${job.attempts} attempts)`);
        t.match(job.lastError, /Gateway Timeout/, `${k}: with its reason`);
      }
      t.ok(r.now() < r.start + BOUND_MS + HOUR, `dead ${((r.now() - r.start) / HOUR).toFixed(1)} h after accepted`);
      t.ok(fresh > 1 && [...r.delivered.values()].every((n) => n === 1), 'the others delivered, each once');
    });

    // v64 counted another write's failure on any system: writes of lmis failing because the registry
    // they read is down held lmis's poisoned write as long as the registry's outage lasted
    t.test(
      'restarted before every pass: a poisoned write dies at the bound while others fail on another system',
      async (t) => {
        const registryDown = () =>
          new UpstreamError({
            system: 'registry',
            transient: true,
            upstreamStatus: 503,
            diagnostics: 'Service Unavailable',
          });
        const others = ['o-r1', 'o-r2'];
        const r = await rig(
          t,
          engine,
          { instances: 1, restarting: true },
          (key) => (others.includes(key) ? registryDown() : gatewayTimeout()),
          // the registry fails its check all along (its writes held), lmis answers it
          (_elapsed, system) => system !== 'registry',
        );
        await r.accept('o-poisoned');
        for (const k of others) await r.accept(k);
        const keys = ['o-poisoned', ...others];
        while (r.now() < r.start + 12 * HOUR) {
          await r.runUntil(r.now() + 1, keys);
          if ((await r.store.findJobsByKey('o-poisoned'))[0].status === 'dead') break;
        }
        const [job] = await r.store.findJobsByKey('o-poisoned');
        t.equal(job.status, 'dead', `dead-lettered (${job.attempts} attempts, ${r.calls.get('o-poisoned')} calls)`);
        t.ok(r.now() < r.start + BOUND_MS + HOUR, `dead ${((r.now() - r.start) / HOUR).toFixed(1)} h after accepted`);
        for (const k of others) {
          const [other] = await r.store.findJobsByKey(k);
          t.equal(other.status, 'pending', `${k}: still held on the registry (${other.lastError})`);
        }
      },
    );

    // each probe's 504 names its request, so each is a row of its timeline (none repeats the one
    // before): by the bound it has more rows than the newest 200 its age was read from, and was
    // held for ever, re-sent every breakerOpenMs
    t.test('one instance: a poisoned write whose every 504 names its request is dead after the bound', async (t) => {
      let request = 0;
      const named = () =>
        new UpstreamError({
          system: 'lmis',
          transient: true,
          upstreamStatus: 504,
          diagnostics: `Gateway Timeout (request ${++request})`,
        });
      const r = await rig(t, engine, { instances: 1, restarting: false }, () => named());
      await r.accept('o-poisoned');
      await r.runUntil(r.start + 12 * HOUR, ['o-poisoned']);
      const [job] = await r.store.findJobsByKey('o-poisoned');
      const rows = (await r.store.listJobAttempts(job.id, 10_000)).length;
      t.ok(rows > 200, `its timeline has ${rows} rows`);
      t.equal(job.status, 'dead', `dead-lettered (${job.attempts} attempts, ${r.calls.get('o-poisoned')} calls)`);
      t.ok(
        r.now() < r.start + BOUND_MS + HOUR,
        `dead ${((r.now() - r.start) / HOUR).toFixed(1)} h after it was accepted`,
      );
    });
  });
}
