/**
 * The systems a scheduled reconcile run left failed (OpenMRS's list unreadable: upstream down) are
 * tried again alone, sooner than the next tick (a weekly job's: a week), on each store engine: a
 * 'retry' run of OpenMRS only, shown as such by GET /admin/jobs and `jobs list`, planned again
 * after a restart from the runs as stored, tried again (later) while it fails, and no more once
 * it did. The waits are shortened by the scheduler's failedRetry; nothing asserts the clock.
 */
import t from 'tap';
import { jobsOverview } from '../../../src/admin/jobs-routes.js';
import { printTable } from '../../../src/cli/jobs.js';
import { reconcileJob, type ReconcileJobDeps } from '../../../src/jobs/reconcile-job.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import type { Connector } from '../../../src/routing/ports.js';
import type { JobRun } from '../../../src/store/types.js';
import { engineCases } from '../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../support/propagation-rig.js';

const YEARLY = '0 0 1 1 *';
const HOUR = 3_600_000;

/** OpenMRS's list fails its first `downFor` reads (as a 503 would), then is read through. */
function withOpenMrsDown(rig: PropagationRig, downFor: number): () => Connector[] {
  let reads = 0;
  return () =>
    rig.connectors.list().map((c): Connector => {
      if (c.system !== 'openmrs') return c;
      const listAll = c.facilities!.listAll!.bind(c.facilities);
      return {
        ...c,
        facilities: {
          ...c.facilities!,
          listAll: (signal?: AbortSignal) =>
            ++reads <= downFor ? Promise.reject(new Error('OpenMRS answered 503')) : listAll(signal),
        },
      };
    });
}

function scheduler(rig: PropagationRig, deps: ReconcileJobDeps, firstMs: number): Scheduler {
  return new Scheduler({
    store: rig.store,
    jobs: [reconcileJob(deps)],
    expression: () => YEARLY,
    failedRetry: { firstMs, capMs: 4 * firstMs },
  });
}

/** Until the job's runs include `n` retries ended (each looked at as stored). */
async function retriesEnded(rig: PropagationRig, n: number): Promise<JobRun[]> {
  for (;;) {
    const retries = (await rig.store.listJobRuns('reconcile', 20)).filter((r) => r.trigger === 'retry');
    if (retries.length >= n && retries.every((r) => r.outcome !== 'running')) return retries;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const engine of engineCases()) {
  t.test(`reconcile job on ${engine.name}: the failed systems tried again`, { skip: engine.skip }, async (t) => {
    const rig = await startPropagationRigOn(t, engine);
    const deps: ReconcileJobDeps = {
      store: rig.store,
      settings: () => rig.settings,
      // the scheduled run's read and the first retry's fail; the second retry's reads OpenMRS
      connectors: withOpenMrsDown(rig, 2),
      registry: rig.side.registry,
    };

    const first = scheduler(rig, deps, HOUR);
    first.start();
    t.teardown(() => first.stop());
    const run = await first.tick(first.job('reconcile')!, Date.parse('2027-01-01T00:00:00Z'));
    t.equal(run.status, 'failed', 'OpenMRS down: the run failed');
    t.match(run.run?.counts, { 'openmrs.failed': 1, systemsFailed: 1, systemsOk: 3 });
    const [stored] = await rig.store.listJobRuns('reconcile', 1);
    await t.resolves(
      (async () => {
        while (first.describe()[0].retryAt === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
    );
    t.equal(first.describe()[0].retryAt, stored.endedAt! + HOUR, 'the retry planned an hour after the run');
    const [planned] = await jobsOverview(rig.store, first);
    t.equal(planned.retryFailed, new Date(stored.endedAt! + HOUR).toISOString(), 'GET /admin/jobs says when');
    await first.stop();

    // a restart: the retry is planned again from the runs as stored (shorter waits here)
    const second = scheduler(rig, deps, 50);
    second.start();
    t.teardown(() => second.stop());
    const [failedAgain, ok] = (await retriesEnded(rig, 2)).reverse();
    t.match(failedAgain, { trigger: 'retry', outcome: 'failed', counts: { 'openmrs.failed': 1, systemsFailed: 1 } });
    t.match(failedAgain.detail, /^every system failed \(openmrs\)\nopenmrs: failed: OpenMRS answered 503/);
    t.match(ok, { trigger: 'retry', outcome: 'ok', counts: { systemsOk: 1, systemsFailed: 0 } });
    t.ok(ok.counts!['openmrs.written'] > 0, 'the retry reconciled OpenMRS');
    t.same(
      Object.keys(ok.counts!).filter((k) => /^(openlmis|dhis2|msupply)\./.test(k)),
      [],
      'and only OpenMRS: the systems the run did are not read again',
    );
    t.ok((await rig.store.listCrosswalk('openmrs')).length > 0);

    const [view] = await jobsOverview(rig.store, second);
    t.match(view.lastRuns[0], { trigger: 'retry', outcome: 'ok' }, 'GET /admin/jobs: the run is a retry');
    let table = '';
    printTable([view], { write: (chunk: string) => ((table += chunk), true) } as NodeJS.WritableStream);
    t.match(table, /→ .*\s+retry\s+ok/, '`jobs list`: the run is a retry');
    await second.stop();
    const runs = await rig.store.listJobRuns('reconcile', 20);
    t.equal(runs.filter((r) => r.trigger === 'retry').length, 2, 'once OpenMRS was done, no more retries');
  });
}
