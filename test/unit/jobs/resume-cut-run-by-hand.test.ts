/**
 * A `jobs run` by hand while a cut run's owed tick waits for the job's lock (src/jobs/cut-run.ts),
 * real stores, both engines: the run by hand goes on from what the cut run stored, as the owed
 * tick's would, so the owed tick is satisfied and not run as a second full run once the lock is
 * free. A run by hand that failed leaves the tick owed, and so does one that skipped: a shell
 * without the server's settings (no DHIS2 connector there) did none of the tick's work.
 */
import t from 'tap';
import { nextFire } from '../../../src/jobs/cron.js';
import { ABANDONED, Scheduler, type ScheduledJob, type SchedulerLogger } from '../../../src/jobs/scheduler.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

/** Once a year (midnight, 1 January): the tick before now is this year's, the next one months off. */
const YEARLY = '0 0 1 1 *';
const DAY = 86_400_000;

/** This year's tick of YEARLY: the latest at or before now. */
function lastTick(now = Date.now()): number {
  let last = nextFire(YEARLY, now - 800 * DAY)!;
  for (let next = nextFire(YEARLY, last)!; next <= now; next = nextFire(YEARLY, last)!) last = next;
  return last;
}

type Ends = 'ok' | 'fails' | 'skips';

/** The bridge; `before` runs first in each run (a run by hand waits there), then it `ends` so. */
function bridge(
  before: () => Promise<void> = async () => undefined,
  ends: Ends = 'ok',
): ScheduledJob & { calls: number } {
  const job = {
    name: 'stockToDhis2',
    setting: 'schedules.stockToDhis2',
    description: 'bridge',
    calls: 0,
    run: async () => {
      job.calls += 1;
      await before();
      if (ends === 'fails') throw new Error('DHIS2 answered 500');
      if (ends === 'skips') return { skipped: 'no DHIS2 connector configured' };
      return { counts: { facilities: 3 } };
    },
  };
  return job;
}

function messages(): SchedulerLogger & { msgs: (string | undefined)[] } {
  const msgs: (string | undefined)[] = [];
  const push = (_obj: object, msg?: string) => void msgs.push(msg);
  return { msgs, info: push, warn: push, error: push };
}

/** This year's tick cut by a kill (closed as abandoned at a start): the tick is owed. */
async function killedRun(store: Store, tick: number): Promise<void> {
  await store.startJobRun({
    name: 'stockToDhis2',
    tickAt: tick,
    trigger: 'schedule',
    instance: 'gone:1',
    startedAt: tick + 1000,
  });
  await store.abandonJobRuns('stockToDhis2', tick + 5000, ABANDONED);
}

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const tick = lastTick();

    for (const [how, ends, status, owedRuns] of [
      ['a run by hand that did its work satisfies the owed tick', 'ok', 'ran', 0],
      ['a run by hand that failed leaves the tick owed', 'fails', 'failed', 1],
      // the shell's settings are not the server's: its skip says nothing of what the server would do
      ['a run by hand that skipped leaves the tick owed', 'skips', 'skipped', 1],
    ] as const)
      t.test(how, async (t) => {
        const { a, b } = await twoStoresOn(engine, t);
        await killedRun(a, tick);
        const logger = messages();
        const tried = () => logger.msgs.includes('the owed tick is tried again');
        // `jobs run` from the shell (another process: its own store), holding the job until the
        // server's owed tick has found it locked
        const byHand = bridge(() => waitFor('the owed tick found locked', tried), ends);
        const shell = new Scheduler({ store: b, jobs: [byHand], expression: () => undefined });
        let manual: ReturnType<Scheduler['runNow']> | undefined;
        // the server's start has found the cut run (its first look) when the run by hand begins
        let looks = 0;
        const server = bridge();
        const store = new Proxy(a, {
          get(target, prop) {
            const value = Reflect.get(target, prop, target) as unknown;
            if (prop !== 'listJobRuns') return typeof value === 'function' ? value.bind(target) : value;
            return async (name: string, limit?: number) => {
              const runs = await target.listJobRuns(name, limit);
              if ((looks += 1) > 1) return runs;
              manual = shell.runNow('stockToDhis2');
              await waitFor('the run by hand under way', () => byHand.calls === 1);
              return runs;
            };
          },
        });
        const scheduler = new Scheduler({ store, jobs: [server], expression: () => YEARLY, logger, awayRetryMs: 20 });
        t.teardown(() => scheduler.stop());
        scheduler.start();
        await waitFor('the run by hand begun', () => manual !== undefined);
        t.match(await manual, { status }, 'the run by hand ended');
        await scheduler.resumed();
        t.equal(server.calls, owedRuns, `the owed tick run ${owedRuns} time(s) after it`);
        const runs = await a.listJobRuns('stockToDhis2');
        t.equal(runs.filter((r) => r.trigger === 'manual').length, 1, 'one run by hand');
        t.equal(runs.filter((r) => r.tickAt === tick).length, 1, 'the tick recorded once');
      });
  });
