/**
 * A decision that links the facility again lands while the job that found its change held is
 * still ending (it has written the row held, and its refusal is not recorded yet): the decision's
 * plan finds that job still holding the key, waits for it to end and then makes the job again,
 * so the change is written once. Without that, the change stayed queued with only the refused
 * job (listed as failed) and was never written. The interleaving is made deterministic through
 * the store and outbox the real propagator uses; review routes, connectors and the OpenLMIS
 * sandbox are real. Both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { propagateChanges } from '../../../../src/jobs/propagate-job.js';
import type { Propagation } from '../../../../src/store/types.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { jobsEnd, reviewDecisions } from '../../../support/review-decisions.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

for (const engine of engineCases())
  t.test(
    `${engine.name}: an undo while the held change's job is still ending makes its job again, and it is written once`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const { lmis, lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID, 'auto-match');
      await rig.pull();

      const decideOn = await reviewDecisions(t, rig, 'openlmis');
      const decide = (op: string) => decideOn(lmisId, op);

      // 1. the reject lands just before the rename's update is recorded (as in review-reject-follows)
      // 2. its job writes the row held, and the undo starts then
      // 3. the job's refusal is recorded only once the undo's plan has accepted its job
      let rejected = false;
      let undo: ReturnType<typeof decide> | undefined;
      let accepted: () => void = () => undefined;
      const undoAccepted = new Promise<void>((resolve) => (accepted = resolve));
      let ownerAtAccept: string | undefined;
      const put = rig.store.putPropagation.bind(rig.store);
      rig.store.putPropagation = async (p: Propagation, seen?: number | null) => {
        const mine = p.system === 'openlmis' && p.registryId === REGISTRY_ID;
        if (mine && !rejected && p.state === 'queued') {
          rejected = (await decide('reject')).statusCode === 200;
          return put(p, seen);
        }
        const written = await put(p, seen);
        if (mine && rejected && !undo && p.state === 'held') undo = decide('undo');
        return written;
      };
      const accept = rig.outbox.acceptWrites.bind(rig.outbox);
      rig.outbox.acceptWrites = async (reqs, options) => {
        const out = await accept(reqs, options);
        if (undo && reqs.some((r) => r.idempotencyKey.startsWith(`propagate|${REGISTRY_ID}|`))) {
          ownerAtAccept ??= (await rig.store.findJobsByKey(reqs[0].idempotencyKey))[0]?.status;
          accepted();
        }
        return out;
      };
      const finish = rig.store.finishJob.bind(rig.store);
      rig.store.finishJob = async (id, lease, outcome, now, attempt) => {
        if (outcome.status === 'rejected' && undo) {
          let timer: NodeJS.Timeout | undefined;
          // a safety net only: the undo's accept comes within moments
          await Promise.race([undoAccepted, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
          clearTimeout(timer);
        }
        return finish(id, lease, outcome, now, attempt);
      };

      rig.mfr.state.rename(CODE, 'Mberewa HC (renamed)');
      await propagateChanges({
        store: rig.store,
        settings: () => rig.settings,
        propagator: rig.side.propagator,
        registry: rig.side.registry,
      });
      t.ok(rejected, 'the reject is taken');
      t.ok(undo, 'the undo starts once the job has written the row held');
      t.equal((await undo)?.statusCode, 200, 'the undo is taken');
      t.equal(ownerAtAccept, 'in-flight', "the undo's plan met the job still ending");

      const version = (await rig.store.getRegistryRecord(REGISTRY_ID))!.version;
      const key = `propagate|${REGISTRY_ID}|${version}|openlmis`;
      const jobs = await jobsEnd(rig, key);
      t.same(jobs.map((j) => j.status).sort(), ['done', 'rejected'], 'the refused job, and one made again that wrote');
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'done', systemId: lmisId, version });
      t.equal(
        (await lmis.facilities!.get(lmisId))?.name,
        'Mberewa HC (renamed)',
        'the change is written to the record',
      );
    },
  );
