/**
 * Two versions of one facility taken at the same moment: the registry's push of the newer one
 * while a pull (or a second instance's pull) still plans the older one. Whatever the interleaving,
 * each system ends with the newer version, written once: the older one's planning never puts its
 * version back over the newer one's, which would leave both jobs superseded and the change lost.
 * Real connectors and sandboxes, on both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { RegistryRecord } from '../../../../src/registry/mfr/types.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const ROUNDS = 15;

for (const engine of engineCases())
  t.test(`two versions planned at once (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startPropagationRigOn(t, engine);
    const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
    const kept = (await rig.store.getRegistryRecord(REGISTRY_ID))!.record as RegistryRecord;
    const base = Date.parse(kept.lastUpdated);
    const version = (n: number): RegistryRecord => ({
      ...kept,
      version: `c${n}`,
      lastUpdated: new Date(base + n * 1000).toISOString(),
      facility: { ...kept.facility!, name: `Mberewa HC (${n})` },
    });
    for (let round = 1; round <= ROUNDS; round++) {
      const older = version(2 * round);
      const newer = version(2 * round + 1);
      await Promise.all([rig.side.propagator.intake([older]), rig.side.propagator.intake([newer])]);
      await drain(rig.store);
      for (const [system, id] of Object.entries(ids)) {
        const row = await rig.store.getPropagation(REGISTRY_ID, system);
        t.match(row, { version: newer.version, state: 'done' }, `round ${round}: ${system} settled the newer version`);
        t.equal((await connectorOf(rig, system).facilities!.get(id))?.name, newer.facility!.name, `${system} has it`);
      }
    }
  });
