/**
 * A stop (SIGTERM) while the scheduled reconcile job reads a system's facility list, with the
 * registry and the system sandboxes through the real connectors. OpenLMIS's list hanging (it never
 * answers): the stop ends its read at once (the job's signal reaches the connector's transport),
 * so the run stops itself before its next write instead of waiting out the connector's timeout
 * past the stop's grace. A list that ignores the stop altogether: the run is cut after the grace
 * and keeps what it had done, its counts and its per-system lines, as a run that stopped itself does.
 */
import t from 'tap';
import { reconcileJob, type ReconcileJobDeps } from '../../../src/jobs/reconcile-job.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import type { Connector } from '../../../src/routing/ports.js';
import { engineCases } from '../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../support/propagation-rig.js';

const YEARLY = '0 0 1 1 *';
/** OpenMRS first: the run has a system done when it reaches OpenLMIS. */
const ORDER = ['openmrs', 'openlmis', 'dhis2', 'msupply'];
/** OpenLMIS's own timeout, far past the stop's grace: only the stop's signal can end its read in time. */
const LMIS_TIMEOUT_MS = 600_000;
const TICK = Date.parse('2027-01-01T00:00:00Z');

function deps(rig: PropagationRig, connectors: () => Connector[]): ReconcileJobDeps {
  return { store: rig.store, settings: () => rig.settings, connectors, registry: rig.side.registry };
}

function ordered(rig: PropagationRig): Connector[] {
  const all = rig.connectors.list();
  return ORDER.map((system) => all.find((c) => c.system === system)!);
}

/** OpenLMIS's list wrapped: `reached` once it is asked for, then `list` in place of its own. */
function atOpenLmis(rig: PropagationRig, reached: () => void, list?: () => Promise<never>): Connector[] {
  return ordered(rig).map((c): Connector => {
    if (c.system !== 'openlmis') return c;
    const listAll = c.facilities!.listAll!.bind(c.facilities);
    return {
      ...c,
      facilities: {
        ...c.facilities!,
        listAll: (signal?: AbortSignal) => {
          reached();
          return list ? list() : listAll(signal);
        },
      },
    };
  });
}

for (const engine of engineCases()) {
  t.test(`reconcile job on ${engine.name}: a stop in a system's list`, { skip: engine.skip }, async (t) => {
    await t.test("OpenLMIS's list hangs: the stop ends its read, not its timeout", async (t) => {
      const rig = await startPropagationRigOn(t, engine, { env: { OPENLMIS_TIMEOUT_MS: String(LMIS_TIMEOUT_MS) } });
      rig.openlmis.faults.add({ method: 'GET', path: '/api/facilities/full*', action: { type: 'hang' } });
      let reached!: () => void;
      const atList = new Promise<void>((resolve) => (reached = resolve));
      const jobs = new Scheduler({
        store: rig.store,
        jobs: [reconcileJob(deps(rig, () => atOpenLmis(rig, reached)))],
        expression: () => YEARLY,
        // the grace ends long before OpenLMIS's timeout: a read the stop does not end is cut then
        stopGraceMs: 20_000,
      });
      const run = jobs.tick(jobs.job('reconcile')!, TICK);
      await atList;
      await jobs.stop('SIGTERM');
      const outcome = await run;
      t.equal(outcome.status, 'failed');
      t.match(
        outcome.run?.detail,
        /^interrupted: the mediator was stopped \(SIGTERM\) during the run; it stopped before its next write/,
        'the run stopped itself: its read was ended',
      );
      t.match(outcome.run?.detail, /\nopenmrs: ok$/, 'with the system it had done');
      t.match(outcome.run?.counts, { systemsOk: 1, systemsFailed: 0 });
      t.equal((await rig.store.listCrosswalk('openlmis')).length, 0, 'nothing of OpenLMIS written');
    });

    await t.test('a list that ignores the stop: cut after the grace, what it did is kept', async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      let reached!: () => void;
      const atList = new Promise<void>((resolve) => (reached = resolve));
      let release!: (err: Error) => void;
      const hung = new Promise<never>((_resolve, reject) => (release = reject));
      const jobs = new Scheduler({
        store: rig.store,
        jobs: [reconcileJob(deps(rig, () => atOpenLmis(rig, reached, () => hung)))],
        expression: () => YEARLY,
        stopGraceMs: 50,
      });
      // by hand: stop() waits for (and cuts) the runs it runs, as it does a scheduled tick's
      const run = jobs.runNow('reconcile');
      await atList;
      await jobs.stop('SIGTERM');
      const outcome = await run;
      release(new Error('the list given up at the end of the test'));
      t.equal(outcome?.status, 'failed');
      t.match(outcome?.run?.detail, /^interrupted: .* it had not stopped 50 ms later and was cut/, 'recorded cut');
      t.match(outcome?.run?.detail, /\nopenmrs: ok$/, 'with the system it had done');
      t.match(outcome?.run?.counts, { systemsOk: 1, systemsFailed: 0 }, 'and its counts');
      t.ok((outcome?.run?.counts?.['openmrs.written'] ?? 0) > 0, "OpenMRS's own counts kept");
      const [stored] = await rig.store.listJobRuns('reconcile', 1);
      t.same(stored.counts, outcome?.run?.counts, 'as stored');
    });
  });
}
