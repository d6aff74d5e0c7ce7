/**
 * A registry propagation and a client's write of the same facility take one step each, never
 * interleaved: through the real OpenLMIS connector and its sandbox, on both store engines, a
 * client's write of a Location (its read, its If-Match check, its write: the step the FHIR edge
 * runs under routing/write-locks.ts) is under way when a registry rename reaches the outbox. The
 * propagation must wait for the client's step and be built on what the client wrote: OpenLMIS
 * stores the client's name, then the registry's. Interleaved, the client's write (made from its
 * read before the rename) lands after the propagation and silently undoes the registry's change
 * while the propagation reads as done.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { MemoryJournal } from '../../../support/memory-journal.js';
import { until } from '../../../support/net.js';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { withWriteLocks } from '../../../../src/routing/write-locks.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { namesWritten } from '../../../support/names-written.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

for (const engine of engineCases()) {
  t.test(
    `a propagation waits for a client's write of the facility (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: { default: null } });
      const { lmis, lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID);
      await rig.pull(); // the registry as it is

      const names = namesWritten(rig.openlmis.state.store.facilities, lmisId);

      let pulled: Promise<unknown> | undefined;
      // the client's step, as the edge runs a PUT of Location/[id]: read, check, write
      await withWriteLocks(rig.store, [`Location/${lmisId}`], async () => {
        const read = await lmis.facilities!.get(lmisId);
        const renamedAt = Date.now();
        rig.mfr.state.rename(CODE, 'Registry name');
        pulled = rig.pull();
        // taken for delivery (or, when it does not wait, already delivered)
        await until(
          'the propagation taken for delivery',
          async () =>
            (await rig.store.listJobs({ flow: 'propagate' })).some(
              (j) => j.createdAt >= renamedAt && j.status !== 'pending',
            ) || undefined,
          20_000,
        );
        await new Promise((r) => setTimeout(r, 500)); // room for a write that does not wait
        await lmis.facilities!.upsert!({ ...read!, name: 'Client name' }, new MemoryJournal());
      });
      await pulled;

      t.same(names.slice(1), ['Client name', 'Registry name'], 'the client write, then the propagation built after it');
      t.equal((await lmis.facilities!.get(lmisId))?.name, 'Registry name', 'OpenLMIS holds the registry change');
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'done' });
    },
  );
}
