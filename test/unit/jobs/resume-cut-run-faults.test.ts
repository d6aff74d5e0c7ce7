/**
 * Store faults around running a cut tick again at start (src/jobs/cut-run.ts), real store, both
 * engines. The cut run gives its tick back in the same write as the tick's run again starts: a
 * failure of that write (or a kill during it) leaves the tick owed to the next start, not given
 * back and never run. And the look for a cut run that meets the database away (a PostgreSQL
 * restart as the mediator starts) is tried again, not given up until the next start.
 */
import t from 'tap';
import { nextFire } from '../../../src/jobs/cron.js';
import { ABANDONED, Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import type { NewJobRun, Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

/** Once a year (midnight, 1 January): the tick before now is this year's, the next one months off. */
const YEARLY = '0 0 1 1 *';
const DAY = 86_400_000;

/** This year's tick of YEARLY: the latest at or before now. */
function lastTick(now = Date.now()): number {
  let last = nextFire(YEARLY, now - 800 * DAY)!;
  for (let next = nextFire(YEARLY, last)!; next <= now; next = nextFire(YEARLY, last)!) last = next;
  return last;
}

function bridge(name: string): ScheduledJob & { calls: number } {
  const job = {
    name,
    setting: `schedules.${name}`,
    description: name,
    calls: 0,
    run: async () => {
      job.calls += 1;
      return { counts: { facilities: 3 } };
    },
  };
  return job;
}

/** `store` with one method replaced; the rest are the real store's. */
function withMethod<K extends keyof Store>(store: Store, key: K, method: Store[K]): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === key) return method;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** This year's tick cut by a kill (closed as abandoned at a start): the tick is owed. */
async function killedRun(store: Store, tick: number): Promise<number> {
  const run = await store.startJobRun({
    name: 'stockToDhis2',
    tickAt: tick,
    trigger: 'schedule',
    instance: 'gone:1',
    startedAt: tick + 1000,
  });
  await store.abandonJobRuns('stockToDhis2', tick + 5000, ABANDONED);
  return run!.id;
}

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const tick = lastTick();

    t.test('the tick given back and the run that takes it are written both or neither', async (t) => {
      const { store } = await freshStore(engine, t);
      const cut = await killedRun(store, tick);
      // a start that fails in the store (here: a row it refuses) gives nothing back
      const refused = { name: null, tickAt: tick, trigger: 'schedule', startedAt: tick + 9000, takesTickOf: cut };
      await t.rejects(store.startJobRun(refused as unknown as NewJobRun), 'the start fails');
      t.match(await store.listJobRuns('stockToDhis2'), [{ id: cut, tickAt: tick }], 'the cut run keeps its tick');

      const again = { name: 'stockToDhis2', tickAt: tick, trigger: 'schedule', startedAt: tick + 9000 } as const;
      t.equal(await store.startJobRun(again), undefined, 'without it the tick is the cut run’s');
      const run = await store.startJobRun({ ...again, takesTickOf: cut });
      t.match(run, { tickAt: tick, outcome: 'running' }, 'taking it, the run starts with the tick');
      const runs = await store.listJobRuns('stockToDhis2');
      t.equal(runs.find((r) => r.id === cut)?.tickAt, undefined, 'and the cut run no longer holds it');
    });

    t.test('a store fault as the owed tick starts leaves it owed to the next start', async (t) => {
      const { store } = await freshStore(engine, t);
      await killedRun(store, tick);
      const job = bridge('stockToDhis2');
      // the run's start write fails (in the real store, inside its transaction)
      const faulty = withMethod(store, 'startJobRun', (run) =>
        store.startJobRun({ ...run, name: null } as unknown as NewJobRun),
      );
      const first = new Scheduler({ store: faulty, jobs: [job], expression: () => YEARLY });
      first.start();
      await first.resumed();
      await first.stop('SIGTERM');
      t.equal(job.calls, 0, 'not run by the start whose write failed');

      const second = new Scheduler({ store, jobs: [job], expression: () => YEARLY });
      t.teardown(() => second.stop());
      second.start();
      await second.resumed();
      t.equal(job.calls, 1, 'the next start runs the tick');
      const runs = await store.listJobRuns('stockToDhis2');
      t.equal(runs.filter((r) => r.tickAt === tick).length, 1, 'the tick recorded once');
      t.match(runs[0], { tickAt: tick, outcome: 'ok' });
    });

    t.test('the look for a cut run that meets the database away is tried again', async (t) => {
      const { store } = await freshStore(engine, t);
      await killedRun(store, tick);
      const job = bridge('stockToDhis2');
      let looks = 0;
      const away = withMethod(store, 'listJobRuns', (name, limit) => {
        looks += 1;
        if (looks === 1) return Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
        return store.listJobRuns(name, limit);
      });
      const scheduler = new Scheduler({ store: away, jobs: [job], expression: () => YEARLY, awayRetryMs: 20 });
      t.teardown(() => scheduler.stop());
      scheduler.start();
      await scheduler.resumed();
      t.ok(looks > 1, 'looked again after the database was away');
      t.equal(job.calls, 1, 'the cut tick is run again');
      t.match((await store.listJobRuns('stockToDhis2'))[0], { tickAt: tick, outcome: 'ok' });
    });
  });
