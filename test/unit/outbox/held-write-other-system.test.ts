/**
 * A write failing because ANOTHER system is down is held at its last attempt while that system
 * fails its readiness check (last-attempt-hold.ts), and dead-lettered while it answers. The real
 * case: an OpenMRS facility job (a secondary target) asks the other systems for its parent
 * (routing/facility-parent.ts systemParent); Open mSupply refusing connections makes the job fail
 * with Open mSupply's error. Another system's errors count against no breaker (failures.ts
 * countsAgainstSystem), so nothing held the write: each attempt was charged, and an Open mSupply
 * outage of six hours dead-lettered it after outbox.maxAttempts (about 2 h), though it was
 * accepted and OpenMRS was up all along.
 *
 * One outbox at the shipped settings on a fake clock (Date.now, which the outbox, its store calls
 * and cockatiel read), as held-write-instances.test.ts: the worker run pass by pass, the clock
 * moved to the next due job. Each system's readiness check is its own, so a test also shows which
 * system was asked.
 */
import t from 'tap';
import type { Facility } from '../../../src/domain/facility.js';
import { transportError } from '../../../src/upstream/errors.js';
import { UpstreamError } from '../../../src/domain/errors.js';
import { Outbox, type OutboxSettings } from '../../../src/outbox/outbox.js';
import { breakerOptionsFrom } from '../../../src/outbox/breaker-settings.js';
import { defaultSettings } from '../../../src/config/load.js';
import { systemParent } from '../../../src/routing/facility-parent.js';
import type { Connector } from '../../../src/routing/ports.js';
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
const KEY = 'loc-under-msupply-parent';
/** The client's Location, its parent named by an id OpenMRS does not hold. */
const FACILITY: Facility = {
  identifiers: [],
  name: 'Chileka Health Post',
  status: 'active',
  kind: 'facility',
  partOf: 'parent-zone-1',
};

/** What the Open mSupply connector makes of a connection refused (upstream/errors.ts transportError). */
const msupplyRefused = () =>
  transportError(
    'msupply',
    Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:8000'), { code: 'ECONNREFUSED' }),
    'POST',
    '/graphql',
    20_000,
  );
/** A gateway in front of a healthy Open mSupply failing this one request every time. */
const msupplyBadGateway = () =>
  new UpstreamError({ system: 'msupply', transient: true, upstreamStatus: 502, diagnostics: 'Bad Gateway' });

interface Rig {
  store: Store;
  /** OpenMRS writes made (the job's own system). */
  written: number;
  /** Readiness checks asked, per system. */
  asked: Map<string, number>;
  start: number;
  now(): number;
  /** Runs the worker pass by pass, the clock moved to the next due job, until `until` or the job ends. */
  runUntil(until: number): Promise<void>;
}

async function rig(
  t: { teardown(fn: () => Promise<void>): void },
  engine: EngineCase,
  /** Open mSupply's answer to the parent lookup `elapsed` ms after the rig was made: an error, or not held there. */
  msupply: (elapsed: number) => Error | undefined,
  /** Whether `system` passes its readiness check `elapsed` ms after the rig was made. */
  ready: (system: string, elapsed: number) => boolean,
): Promise<Rig> {
  const db = await engine.freshDatabase();
  // opened before the clock is moved: PostgreSQL's store refuses a clock off the server's
  const store = await openStore({ databaseUrl: db.databaseUrl });
  const realNow = Date.now;
  let skew = 0;
  const clock = () => realNow() + skew;
  const start = clock();
  Date.now = clock;
  const asked = new Map<string, number>();
  const facilitiesOf = (get: (id: string) => Promise<Facility | undefined>) =>
    ({ get, search: async () => ({ entries: [] }) }) as unknown as Connector['facilities'];
  // the systems the job's parent is looked for in: none holds it; Open mSupply as `msupply` says
  const connectors: Connector[] = [
    { system: 'openmrs', facilities: facilitiesOf(async () => undefined) },
    { system: 'dhis2', facilities: facilitiesOf(async () => undefined) },
    {
      system: 'msupply',
      facilities: facilitiesOf(async () => {
        const err = msupply(clock() - start);
        if (err) throw err;
        return undefined;
      }),
    },
  ];
  const r: Rig = { store, written: 0, asked, start, now: clock, runUntil: async () => undefined };
  const outbox = new Outbox({
    store,
    options: OPTIONS,
    systemAnswers: async (system) => {
      asked.set(system, (asked.get(system) ?? 0) + 1);
      return ready(system, clock() - start);
    },
  });
  outbox.register('facility', 'openmrs', async (job) => {
    // the secondary job's first step, as routing/flows.ts deliverSecondary takes it
    const parent = await systemParent('openmrs', job.payload as Facility, { connectors, store });
    r.written += 1;
    return { system: 'openmrs', ids: { location: `mrs-${parent.partOf}` } };
  });
  t.teardown(async () => {
    await outbox.stop();
    await store.close();
    Date.now = realNow;
    await db.drop();
  });
  const idle = async () => {
    for (let i = 0; i < 2_000; i++) {
      if (!(await store.findJobsByKey(KEY)).some((j) => j.status === 'in-flight')) return;
      await new Promise((res) => setTimeout(res, 2));
    }
    throw new Error('an attempt did not end');
  };
  r.runUntil = async (until) => {
    while (clock() < until) {
      await outbox.runOnce();
      await idle();
      const pending = (await store.findJobsByKey(KEY)).filter((j) => j.status === 'pending');
      if (pending.length === 0) return;
      skew += Math.max(1, Math.min(...pending.map((j) => j.nextAttemptAt)) - clock());
    }
  };
  await outbox.acceptWrite({ flow: 'facility', system: 'openmrs', idempotencyKey: KEY, payload: FACILITY });
  return r;
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test(
      'Open mSupply refusing connections for six hours: the OpenMRS job is held, then delivered once',
      async (t) => {
        const outage = 6 * HOUR;
        // OpenMRS answers its check all along; Open mSupply's fails as long as the outage lasts
        const r = await rig(
          t,
          engine,
          (elapsed) => (elapsed < outage ? msupplyRefused() : undefined),
          (system, elapsed) => system !== 'msupply' || elapsed >= outage,
        );
        await r.runUntil(r.start + outage - HOUR);
        const [held] = await r.store.findJobsByKey(KEY);
        t.equal(held.status, 'pending', `held 5 h into the outage (${held.attempts} attempts, ${held.lastError})`);
        t.match(held.lastError, /msupply/, 'its last error names Open mSupply');
        t.equal(held.attempts, OPTIONS.backoff!.maxAttempts! - 1, 'its last attempt held uncharged, each time');
        t.ok((r.asked.get('msupply') ?? 0) > 0, 'Open mSupply was asked');
        await r.runUntil(r.start + outage + HOUR);
        const [job] = await r.store.findJobsByKey(KEY);
        t.equal(job.status, 'done', `delivered after the outage (${job.attempts} attempts, ${job.lastError})`);
        t.equal(r.written, 1, 'written to OpenMRS once');
      },
    );

    t.test('Open mSupply answering its check, failing this lookup every time: dead after its attempts', async (t) => {
      // OpenMRS fails its check all along: only Open mSupply's, the system that failed, decides
      const r = await rig(
        t,
        engine,
        () => msupplyBadGateway(),
        (system) => system === 'msupply',
      );
      await r.runUntil(r.start + 12 * HOUR);
      const [job] = await r.store.findJobsByKey(KEY);
      t.equal(job.status, 'dead', `dead-lettered (${job.attempts} attempts)`);
      t.match(job.lastError, /msupply: Bad Gateway/, 'with its reason');
      t.equal(job.attempts, OPTIONS.backoff!.maxAttempts, 'after outbox.maxAttempts');
      t.notOk(r.asked.has('openmrs'), 'OpenMRS, which did not fail it, was not asked');
      t.equal(r.written, 0, 'nothing written to OpenMRS');
    });
  });
}
