/**
 * A scheduled job turned off: `off` (any case) in its schedule setting leaves it unscheduled (no
 * schedule, no next run in /admin/jobs) while a run by hand still works; an empty setting is an
 * unset one, as for every setting, so the job keeps its default schedule. The README had promised
 * "empty = never" for stockToDhis2 and outboxPrune, but the settings layer drops empty values, so
 * an implementer's SCHEDULE_OUTBOX_PRUNE= kept pruning daily and nothing could turn a job off.
 * Through the running mediator (SQLite), with a setting given in the environment and one from a
 * live OpenHIM-style change path (loadSettings overrides).
 */
import t from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { startMediatorIn } from '../../support/in-process-mediator.js';

const ADMIN = 'schedule-off-admin-token-5521';

type JobsBody = { jobs: { name: string; schedule: string | null; nextRun: string | null }[] };

t.test('a schedule set to off never fires; an empty one keeps the default', async (t) => {
  const mediator = await startMediatorIn(t, 'schedule-off-', {
    AUTH_MODE: 'off',
    ADMIN_TOKEN: ADMIN,
    SCHEDULE_OUTBOX_PRUNE: 'off',
    SCHEDULE_PROPAGATE: ' OFF ',
    SCHEDULE_STOCK_TO_DHIS2: '',
  });
  const admin = (method: string, url: string) =>
    fetch(`${mediator.url}${url}`, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const { jobs } = (await (await admin('GET', '/admin/jobs')).json()) as JobsBody;
  const job = (name: string) => jobs.find((j) => j.name === name)!;

  for (const name of ['outboxPrune', 'propagate']) {
    t.equal(job(name).schedule, null, `${name}: no schedule`);
    t.equal(job(name).nextRun, null, `${name}: no next run`);
  }
  t.equal(job('stockToDhis2').schedule, '0 3 2 * *', 'an empty setting is unset: the default schedule');
  t.ok(job('stockToDhis2').nextRun, 'with its next run');
  t.equal(job('reconcile').schedule, '30 2 * * 1', 'the others as they were');

  const byHand = await admin('POST', '/admin/jobs/outboxPrune/run');
  t.equal(byHand.status, 200, 'a job turned off still runs by hand');
  t.match(await byHand.json(), { run: { trigger: 'manual', outcome: 'ok' } });
});

t.test('off is taken where a cron expression is checked; other words are still refused', async (t) => {
  t.equal(
    loadSettings({ AUTH_MODE: 'off', SCHEDULE_RECONCILE: 'Off' } as NodeJS.ProcessEnv)['schedules.reconcile'],
    'Off',
  );
  t.throws(
    () => loadSettings({ AUTH_MODE: 'off', SCHEDULE_RECONCILE: 'never' } as NodeJS.ProcessEnv),
    /schedules\.reconcile \(SCHEDULE_RECONCILE\) is not a cron expression/,
  );
});
