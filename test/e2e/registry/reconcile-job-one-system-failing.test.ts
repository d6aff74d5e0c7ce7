/**
 * The scheduled reconcile job on a bad day, with the registry and the system sandboxes through
 * the real connectors, on each store engine: one system down (its location list answers 503), or
 * one whose review lock stays held (a console decision, a `reconcile --store` beside the server:
 * the run's write gives up with a 409), no longer stops the job for the systems after it. Each
 * system is reconciled on its own, the run is recorded failed with per system `ok` or `failed: why`
 * (GET /admin/jobs' view, `jobs list`), the failed system's crosswalk is left as it was, and the
 * next run reconciles it. A stop (SIGTERM) between two systems records the run interrupted with
 * the systems it had done.
 */
import t from 'tap';
import { jobsOverview } from '../../../src/admin/jobs-routes.js';
import { printTable } from '../../../src/cli/jobs.js';
import { reconcileJob, type ReconcileJobDeps } from '../../../src/jobs/reconcile-job.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { oneReviewAtATime } from '../../../src/registry/review-lock.js';
import type { Connector } from '../../../src/routing/ports.js';
import { engineCases } from '../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../support/propagation-rig.js';

const YEARLY = '0 0 1 1 *';
/** OpenMRS first, so the systems after it are the ones a failure used to stop. */
const ORDER = ['openmrs', 'openlmis', 'dhis2', 'msupply'];

function jobDeps(rig: PropagationRig, connectors: () => Connector[] = () => ordered(rig)): ReconcileJobDeps {
  return {
    store: rig.store,
    settings: () => rig.settings,
    connectors,
    registry: rig.side.registry,
    // the review lock's wait in a run (60 s) shortened: a held lock gives up within the test
    lockWaitMs: 300,
  };
}

function ordered(rig: PropagationRig): Connector[] {
  const all = rig.connectors.list();
  return ORDER.map((system) => all.find((c) => c.system === system)!);
}

function scheduler(rig: PropagationRig, deps: ReconcileJobDeps): Scheduler {
  return new Scheduler({ store: rig.store, jobs: [reconcileJob(deps)], expression: () => YEARLY });
}

async function crosswalkSizes(rig: PropagationRig): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const system of ORDER) sizes[system] = (await rig.store.listCrosswalk(system)).length;
  return sizes;
}

function listed(overview: Awaited<ReturnType<typeof jobsOverview>>): string {
  let text = '';
  printTable(overview, { write: (chunk: string) => ((text += chunk), true) } as NodeJS.WritableStream);
  return text;
}

for (const engine of engineCases()) {
  t.test(`reconcile job on ${engine.name}: one system failing`, { skip: engine.skip }, async (t) => {
    await t.test('one system down: the others are reconciled, the run failed, the next run takes it', async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const jobs = scheduler(rig, jobDeps(rig));
      const job = jobs.job('reconcile')!;
      const down = rig.openmrs.faults.add({
        method: 'GET',
        path: '/openmrs/ws/rest/v1/location',
        action: { type: 'status', status: 503 },
      });

      const first = await jobs.tick(job, Date.parse('2027-01-01T00:00:00Z'));
      t.equal(first.status, 'failed', 'the run is recorded failed: a system was left');
      const sizes = await crosswalkSizes(rig);
      t.equal(sizes.openmrs, 0, 'OpenMRS down: its crosswalk left as it was');
      for (const system of ['openlmis', 'dhis2', 'msupply']) {
        t.ok(sizes[system] > 0, `${system} after it reconciled all the same (${sizes[system]} rows)`);
        t.equal(first.run?.counts?.[`${system}.written`], sizes[system], `${system}: its counts kept with the run`);
      }
      t.match(first.run?.counts, { systemsOk: 3, systemsFailed: 1 });
      const detail = first.run?.detail ?? '';
      t.match(detail, /^1 of 4 systems failed \(openmrs\)/, 'the first line says which failed');
      t.match(detail, /\nopenmrs: failed: .*503.*tried again at the next run/, 'OpenMRS: failed, with why');
      t.match(detail, /\nopenlmis: ok\ndhis2: ok\nmsupply: ok$/, 'the others: ok');

      const [view] = await jobsOverview(rig.store, jobs);
      t.match(view.lastRuns[0], { outcome: 'failed', error: /^1 of 4 systems failed/ }, 'GET /admin/jobs says failed');
      const table = listed([view]);
      t.match(table, /failed: 1 of 4 systems failed \(openmrs\)/, '`jobs list`: the summary on the run line');
      t.match(table, /\n {4}openmrs: failed: /, '`jobs list`: each system on a line of its own');

      rig.openmrs.faults.remove(down.id);
      const second = await jobs.tick(job, Date.parse('2027-01-08T00:00:00Z'));
      t.equal(second.status, 'ran', 'the next run: every system ok');
      t.ok((await rig.store.listCrosswalk('openmrs')).length > 0, 'OpenMRS reconciled at the next run');
      t.match(second.run?.counts, { systemsOk: 4, systemsFailed: 0, 'openlmis.rescored': 0 });
      t.equal(second.run?.detail, undefined, 'an ok run has nothing to say per system');
    });

    await t.test("one system's review lock held (409): the others are reconciled", async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const jobs = scheduler(rig, jobDeps(rig));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let held!: () => void;
      const taken = new Promise<void>((resolve) => (held = resolve));
      // a console decision on OpenMRS still under way (or a `reconcile --store` holding its lock)
      const deciding = oneReviewAtATime(rig.store, 'openmrs', async () => {
        held();
        await released;
      });
      await taken;
      const run = await jobs.tick(jobs.job('reconcile')!, Date.parse('2027-01-01T00:00:00Z'));
      release();
      await deciding;
      t.equal(run.status, 'failed');
      t.match(run.run?.detail, /\nopenmrs: failed: the review lock of openmrs was still held after 0\.3 s/);
      const sizes = await crosswalkSizes(rig);
      t.equal(sizes.openmrs, 0, 'nothing of the OpenMRS run written');
      for (const system of ['openlmis', 'dhis2', 'msupply']) t.ok(sizes[system] > 0, `${system} reconciled`);
      const next = await jobs.tick(jobs.job('reconcile')!, Date.parse('2027-01-08T00:00:00Z'));
      t.equal(next.status, 'ran', 'the lock free: the next run reconciles OpenMRS too');
      t.ok((await rig.store.listCrosswalk('openmrs')).length > 0);
    });

    await t.test('a stop (SIGTERM) between two systems: interrupted, with the systems done', async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      let reached!: () => void;
      const atSecond = new Promise<void>((resolve) => (reached = resolve));
      let go!: () => void;
      const gate = new Promise<void>((resolve) => (go = resolve));
      // the second system's list is read once the stop has begun (the list's read is not cut)
      const connectors = () =>
        ordered(rig).map((c, i): Connector => {
          if (i !== 1) return c;
          const listAll = c.facilities!.listAll!.bind(c.facilities);
          return {
            ...c,
            facilities: {
              ...c.facilities!,
              listAll: async () => {
                reached();
                await gate;
                return listAll();
              },
            },
          };
        });
      const jobs = new Scheduler({
        store: rig.store,
        jobs: [reconcileJob(jobDeps(rig, connectors))],
        expression: () => YEARLY,
        stopGraceMs: 60_000,
      });
      const run = jobs.tick(jobs.job('reconcile')!, Date.parse('2027-01-01T00:00:00Z'));
      await atSecond;
      const stopped = jobs.stop('SIGTERM');
      go();
      await stopped;
      const outcome = await run;
      t.equal(outcome.status, 'failed');
      t.match(outcome.run?.detail, /^interrupted: the mediator was stopped \(SIGTERM\)/, 'recorded interrupted');
      t.match(outcome.run?.detail, /\nopenmrs: ok$/, 'with the system it had done');
      t.match(outcome.run?.counts, { systemsOk: 1, systemsFailed: 0 }, 'and its counts');
      t.ok((outcome.run?.counts?.['openmrs.written'] ?? 0) > 0);
      t.equal((await rig.store.listCrosswalk('openlmis')).length, 0, 'the system after the stop not written');
    });
  });
}
