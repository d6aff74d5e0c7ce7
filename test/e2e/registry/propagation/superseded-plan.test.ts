/**
 * An older version planned after a newer one was kept (a push beside a pull, two instances): the
 * store does not take its plan (PUT_PROPAGATION_SQL), and propagation now queues nothing for it.
 * Before, each system still got a job for the older version, which ended `superseded` without
 * writing, and the run counted those writes `queued` (3 here, for 3 systems, none of them made).
 * The interleaving is made deterministic: the newer version is taken while the older one's plan
 * is about to be recorded. Real connectors and sandboxes, on both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';
import { propagationKey } from '../../../../src/registry/propagation/propagator.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { linkInThreeSystems } from '../../../support/linked-facility.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

for (const engine of engineCases())
  t.test(
    `an older version planned after a newer one queues nothing (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
      const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!.record as RegistryRecord;
      const base = Date.parse(kept.lastUpdated);
      const version = (n: number): RegistryRecord => ({
        ...kept,
        version: `s${n}`,
        lastUpdated: new Date(base + n * 1000).toISOString(),
        facility: { ...kept.facility!, name: `Mberewa HC (${n})` },
      });
      const older = version(1);
      const newer = version(2);

      // the newer version arrives (and is planned) just as the older one's first plan is recorded
      const putPropagation = rig.store.putPropagation.bind(rig.store);
      let newerIntake: ReturnType<typeof rig.side.propagator.intake> | undefined;
      rig.store.putPropagation = async (p, seen) => {
        if (p.version === older.version && !newerIntake) {
          newerIntake = rig.side.propagator.intake([newer]);
          await newerIntake;
        }
        return putPropagation(p, seen);
      };
      const olderCounts = await rig.side.propagator.intake([older]);
      const newerCounts = await newerIntake!;
      rig.store.putPropagation = putPropagation;
      await drain(rig.store);

      t.equal(newerCounts.queued, Object.keys(ids).length, 'the newer version is queued for each system');
      t.equal(olderCounts.queued, 0, 'the older one is counted nowhere as queued');
      for (const system of Object.keys(ids)) {
        t.same(
          await rig.store.findJobsByKey(propagationKey(REGISTRY_ID, older.version, system)),
          [],
          `${system}: no job`,
        );
        t.match(await rig.store.getPropagation(REGISTRY_ID, system), { version: newer.version, state: 'done' });
      }
    },
  );
