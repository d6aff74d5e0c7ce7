/**
 * A registry change whose plan meets another write of its propagation row on each of its 5 tries
 * (REPLANS: a late delivery of the version before settling it each time here; several instances
 * and decisions in real life) is neither lost nor unseen: a warning names the facility, its
 * version and the system, a counter rises, and the change's job is queued anyway; its delivery
 * plans it from what it reads then and writes it, with no further pull. Before, the pull dropped
 * that system's plan silently: nothing logged or counted, no job, and the rename reached OpenLMIS
 * only if a later pull happened to plan it. Real connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { plansGivenUpCounter } from '../../../../src/registry/propagation/index.js';
import { propagationKey } from '../../../../src/registry/propagation/propagator.js';
import { REPLANS } from '../../../../src/registry/propagation/plan-write.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { propagateChanges } from '../../../../src/jobs/propagate-job.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { jobsEnd } from '../../../support/review-decisions.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const RENAMED = 'Mberewa HC (renamed)';

/** One pull of the registry (the `propagate` job's run), without waiting for the outbox. */
const pull = (rig: PropagationRig) =>
  propagateChanges({
    store: rig.store,
    settings: () => rig.settings,
    propagator: rig.side.propagator,
    registry: rig.side.registry,
  });

for (const engine of engineCases())
  t.test(
    `${engine.name}: a plan meeting another write ${REPLANS} times in a row is said, counted, and still written`,
    { skip: engine.skip },
    async (t) => {
      const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
      const metrics = new Registry();
      const rig = await startPropagationRigOn(t, engine, {
        propagation: {
          logger: { warn: (obj, msg) => warnings.push({ obj: obj as Record<string, unknown>, msg }) },
          countPlanGivenUp: plansGivenUpCounter(metrics),
        },
      });
      const { lmis, lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID);
      await rig.pull();
      const before = (await rig.store.getPropagation(REGISTRY_ID, 'openlmis'))!;
      t.match(before, { state: 'done', systemId: lmisId }, 'the first version is written');

      // while the pull runs, each plan of the rename for OpenLMIS meets a write of the row made
      // since its read: the earlier version's outcome settled again (its revision moves)
      let conflicts = 0;
      let pulling = true;
      const put = rig.store.putPropagation.bind(rig.store);
      rig.store.putPropagation = async (p, seen) => {
        if (pulling && p.registryId === REGISTRY_ID && p.system === 'openlmis' && p.version !== before.version) {
          conflicts++;
          await rig.store.settlePropagation({ ...before, updatedAt: Date.now() });
        }
        return put(p, seen);
      };
      rig.mfr.state.rename(CODE, RENAMED);
      await pull(rig);
      pulling = false;
      t.ok(conflicts >= REPLANS, `the pull planned it ${REPLANS} times or more, each meeting another write`);

      const version = (await rig.store.getRegistryRecord(REGISTRY_ID))!.version;
      t.not(version, before.version, 'the rename is kept as a new version');
      const said = warnings.filter((w) => w.obj.registryId === REGISTRY_ID);
      t.ok(said.length >= 1, 'a warning');
      t.match(
        said[0]?.obj,
        { registryId: REGISTRY_ID, version, system: 'openlmis' },
        'naming the change and the system',
      );
      t.match(
        said[0]?.msg,
        new RegExp(`${REGISTRY_ID} version ${version} for openlmis.*job is queued`),
        'and what next',
      );
      t.match(
        await metrics.getSingleMetricAsString('mediator_propagation_plans_given_up_total'),
        new RegExp(`^mediator_propagation_plans_given_up_total\\{system="openlmis"\\} ${said.length}$`, 'm'),
        'counted',
      );

      // no further pull: the job queued anyway plans the change at delivery and writes it
      const jobs = await jobsEnd(rig, propagationKey(REGISTRY_ID, version, 'openlmis'));
      t.same(
        jobs.map((j) => j.status),
        ['done'],
        "the change's job is delivered",
      );
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { version, state: 'done', systemId: lmisId });
      t.equal((await lmis.facilities!.get(lmisId))?.name, RENAMED, 'the rename reaches OpenLMIS');
    },
  );
