/**
 * A scheduled tick that meets its job's lock held by a bridge run by hand (`cli bridge
 * stock-to-dhis2`: src/cli/job-lock.ts, on a store of its own as the CLI process has) is tried
 * again every awayRetryMs and runs once the hand run is over: a hand run records no tick, and the
 * tick dropped as `locked` left a monthly bridge's other lookback periods a month late. On
 * PostgreSQL (the multi-instance engine) two instances meeting the held lock still run the tick
 * once: the one that runs it records it, the other's try is then 'already-run'.
 */
import t from 'tap';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { capturingLogger, type CapturedLine } from '../../support/capturing-logger.js';
import { engineCases, twoStoresOn } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';
import { countingJob, hold, JOB, minutely, refusals } from './lock-gap-rig.js';

const LOCKED =
  'the job is locked elsewhere (a run by hand or another instance): the tick is tried again until it is free';
const FREE = 'the job lock is free: the tick was taken up again';

/** A scheduler of one instance running JOB each minute; `calls` counts its runs, `refused` its locked tries. */
function instance(t: { teardown(fn: () => unknown): void }, store: Store, expression: string, name: string) {
  const { lines, logger } = capturingLogger();
  const refused = refusals(store);
  const { job, calls } = countingJob();
  const seen = { calls, refused };
  const scheduler = new Scheduler({
    store,
    logger,
    instance: name,
    awayRetryMs: 50,
    jobs: [job],
    expression: () => expression,
  });
  scheduler.start();
  t.teardown(() => scheduler.stop());
  return { scheduler, seen, lines };
}

const said = (lines: CapturedLine[]) => lines.map((l) => [l.level, l.msg, l.obj.status]);

for (const engine of engineCases())
  t.test(
    `${engine.name}: a tick meeting a hand run's lock runs once the hand run is over`,
    { skip: engine.skip },
    async (t) => {
      const { a, b } = await twoStoresOn(engine, t);
      const hand = await hold(b, 'the hand run');
      const server = instance(t, a, minutely(), 'server');
      await waitFor('the tick met the held lock', () => server.seen.refused() >= 1, 15_000);
      t.equal(server.seen.calls(), 0, 'nothing ran beside the hand run');
      hand.end();
      t.equal(await hand.exit, 0, 'the hand run ended whole');
      await waitFor('the tick run', async () => (await a.listJobRuns(JOB))[0]?.outcome === 'ok', 15_000);
      await server.scheduler.stop();
      const runs = await a.listJobRuns(JOB);
      t.equal(runs.length, 1, 'one run');
      t.match(runs[0], { trigger: 'schedule', instance: 'server', counts: { sent: 1 } });
      t.ok(runs[0].tickAt !== undefined, 'for its tick');
      t.equal(server.seen.calls(), 1);
      t.same(said(server.lines), [
        ['warn', LOCKED, undefined],
        ['info', FREE, 'ran'],
      ]);
    },
  );

const pg = engineCases().find((e) => e.name === 'postgres')!;
t.test("postgres: two instances meeting a hand run's lock run the tick once", { skip: pg.skip }, async (t) => {
  const { a, b, databaseUrl } = await twoStoresOn(pg, t);
  const cli = await openStore({ databaseUrl });
  t.teardown(() => cli.close());
  const hand = await hold(cli, 'the hand run');
  const expression = minutely();
  const one = instance(t, a, expression, 'one');
  const two = instance(t, b, expression, 'two');
  await waitFor('both met the held lock', () => one.seen.refused() >= 1 && two.seen.refused() >= 1, 15_000);
  hand.end();
  t.equal(await hand.exit, 0);
  const freed = (lines: CapturedLine[]) => lines.some((l) => l.msg === FREE);
  await waitFor('both took the tick up again', () => freed(one.lines) && freed(two.lines), 15_000);
  await one.scheduler.stop();
  await two.scheduler.stop();
  const runs = await a.listJobRuns(JOB);
  t.equal(runs.length, 1, 'one run of the tick');
  t.match(runs[0], { outcome: 'ok', trigger: 'schedule' });
  t.equal(one.seen.calls() + two.seen.calls(), 1, 'the job ran once');
  const statuses = [one.lines, two.lines].map((lines) => lines.find((l) => l.msg === FREE)!.obj.status).sort();
  t.same(statuses, ['already-run', 'ran'], 'the other instance found the tick recorded');
});
