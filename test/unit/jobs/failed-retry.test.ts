/**
 * The retry of a run's failed parts, planned from the runs as stored (what a restart reads): an
 * hour after the scheduled run, then twice as long after each retry that failed again, capped,
 * never at or past the next tick, and none after a run by hand, a run that did every part, or a
 * scheduled run a stop cut (cut-run.ts runs its whole tick again). Instants are given: no clock.
 */
import t from 'tap';
import { FAILED_RETRY, retryOwed } from '../../../src/jobs/failed-retry.js';
import { failedSystems } from '../../../src/jobs/reconcile-job.js';
import { ABANDONED } from '../../../src/jobs/scheduler.js';
import type { JobRun } from '../../../src/store/types.js';

const WEEKLY = '0 3 * * 1';
const HOUR = 3_600_000;
/** Monday 2027-01-04 03:00 UTC: a tick of WEEKLY. */
const TICK = Date.parse('2027-01-04T03:00:00Z');

let nextId = 1;
function run(
  over: Partial<JobRun> & Pick<JobRun, 'trigger' | 'outcome'>,
  startedAt: number,
  endedAt = startedAt + 60_000,
): JobRun {
  return { id: nextId++, name: 'reconcile', startedAt, endedAt, ...over };
}
const down = (system: string) => ({ counts: { [`${system}.failed`]: 1, systemsFailed: 1 } });
/** Newest first, as the store lists them. */
const plan = (...runs: JobRun[]) => retryOwed(runs.reverse(), WEEKLY, failedSystems, ABANDONED);

t.test('an hour after the run, then doubling up to the cap, of the failed parts only', async (t) => {
  const scheduled = run({ trigger: 'schedule', outcome: 'failed', tickAt: TICK, ...down('openmrs') }, TICK);
  t.match(plan(scheduled), { at: scheduled.endedAt! + HOUR, parts: ['openmrs'], after: scheduled.id, attempt: 1 });
  const again = run({ trigger: 'retry', outcome: 'failed', ...down('openmrs') }, scheduled.endedAt! + HOUR);
  t.match(plan(scheduled, again), { at: again.endedAt! + 2 * HOUR, after: again.id, attempt: 2 });
  const runs = [scheduled];
  for (let i = 0; i < 6; i++)
    runs.push(run({ trigger: 'retry', outcome: 'failed', ...down('openmrs') }, TICK + (i + 1) * HOUR));
  t.match(plan(...runs), { at: runs.at(-1)!.endedAt! + FAILED_RETRY.capMs, attempt: 7 }, 'at most capMs apart');
});

t.test('none once the next tick comes first, or after a run that did it all', async (t) => {
  const late = TICK + 7 * 24 * HOUR - HOUR / 2;
  t.equal(plan(run({ trigger: 'schedule', outcome: 'failed', tickAt: TICK, ...down('dhis2') }, late)), undefined);
  const scheduled = run({ trigger: 'schedule', outcome: 'failed', tickAt: TICK, ...down('dhis2') }, TICK);
  t.equal(plan(scheduled, run({ trigger: 'retry', outcome: 'ok', counts: {} }, TICK + HOUR)), undefined);
  t.equal(
    plan(scheduled, run({ trigger: 'manual', outcome: 'failed', ...down('dhis2') }, TICK + 10)),
    undefined,
    'a run by hand since',
  );
  t.equal(
    plan(run({ trigger: 'schedule', outcome: 'failed', tickAt: TICK, detail: 'the registry is down' }, TICK)),
    undefined,
    'no part failed alone',
  );
});

t.test("a cut run: the scheduled one is cut-run.ts's; a cut retry counts as a try", async (t) => {
  const cut = {
    outcome: 'failed' as const,
    detail: 'interrupted: the mediator was stopped (SIGTERM) during the run; …',
  };
  t.equal(plan(run({ trigger: 'schedule', tickAt: TICK, ...cut, counts: { 'dhis2.failed': 1 } }, TICK)), undefined);
  const scheduled = run({ trigger: 'schedule', outcome: 'failed', tickAt: TICK, ...down('dhis2') }, TICK);
  const cutRetry = run({ trigger: 'retry', ...cut, counts: {} }, TICK + HOUR);
  t.match(plan(scheduled, cutRetry), {
    parts: ['dhis2'],
    after: cutRetry.id,
    attempt: 2,
    at: cutRetry.endedAt! + 2 * HOUR,
  });
  const abandoned = run({ trigger: 'retry', outcome: 'failed', detail: ABANDONED }, TICK + HOUR);
  t.match(plan(scheduled, abandoned), { parts: ['dhis2'], after: abandoned.id });
});
