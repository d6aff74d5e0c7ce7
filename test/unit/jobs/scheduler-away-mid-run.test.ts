/**
 * A scheduled run stopped mid-run by the mediator's database going away is recorded failed, gives
 * its tick back and is tried again once the database is back, as a tick that could not start is;
 * a run failing otherwise keeps its tick, and the next tick runs. SQLite here, the outage a store
 * error of PostgreSQL's words; the real restart: test/e2e/jobs/pg-restart-run-fails.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { AWAY_MID_RUN, Scheduler, type ScheduledJob } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { capturingLogger } from '../../support/capturing-logger.js';
import { waitFor } from '../../support/wait-for.js';

async function tempStore(t: { teardown(fn: () => unknown): void }): Promise<Store> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jobs-away-mid-run-'));
  const store = await openStore({ dataDir: dir });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** Once a minute, its tick two seconds from now: the next one is a minute off. */
function minutely(): string {
  return `${new Date(Date.now() + 2_000).getSeconds()} * * * * *`;
}

function schedulerOf(t: { teardown(fn: () => unknown): void }, store: Store, job: ScheduledJob['run']) {
  const { lines, logger } = capturingLogger();
  const expression = minutely();
  const scheduler = new Scheduler({
    store,
    logger,
    awayRetryMs: 100,
    jobs: [{ name: 'monthly', setting: 'schedules.monthly', description: 'monthly', run: job }],
    expression: () => expression,
  });
  scheduler.start();
  t.teardown(() => scheduler.stop());
  return { scheduler, lines };
}

t.test('a run the database going away stopped is tried again for its tick, and runs once more', async (t) => {
  const store = await tempStore(t);
  let calls = 0;
  const { scheduler, lines } = schedulerOf(t, store, async () => {
    calls += 1;
    // pg's words for a connection cut mid-statement (PostgreSQL restarting under the run)
    if (calls === 1) throw new Error('Connection terminated unexpectedly');
    return { counts: { written: 2 } };
  });
  await waitFor('the tick run again', () => calls === 2, 15_000);
  await waitFor('its end recorded', async () => (await store.listJobRuns('monthly'))[0]?.outcome === 'ok');
  await scheduler.stop();
  const [again, stopped] = await store.listJobRuns('monthly');
  t.match(stopped, { outcome: 'failed', detail: `Connection terminated unexpectedly${AWAY_MID_RUN}` });
  t.equal(stopped.tickAt, undefined, 'the stopped run gave its tick back');
  t.match(again, { outcome: 'ok', trigger: 'schedule', counts: { written: 2 } }, 'the tick run again, ok');
  t.ok(again.tickAt! > stopped.startedAt - 5_000 && again.tickAt! <= stopped.startedAt, 'for the same tick');
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['warn', 'scheduled run stopped by the database going away'],
      ['warn', 'the database is away: the tick is tried again until it is back'],
      ['info', 'the database is back: the tick was taken up again'],
    ],
  );
});

t.test('a run failing otherwise keeps its tick: it is not run again before the next', async (t) => {
  const store = await tempStore(t);
  let calls = 0;
  const { scheduler, lines } = schedulerOf(t, store, async () => {
    calls += 1;
    throw new TypeError("Cannot read properties of undefined (reading 'id')");
  });
  await waitFor('its failed run recorded', async () => (await store.listJobRuns('monthly'))[0]?.outcome === 'failed');
  await scheduler.stop();
  const runs = await store.listJobRuns('monthly');
  t.equal(runs.length, 1, 'one run');
  t.ok(runs[0].tickAt !== undefined, 'which keeps its tick');
  t.equal(calls, 1);
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [['error', 'scheduled job failed']],
  );
});
