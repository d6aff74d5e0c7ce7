/**
 * A registry change of a facility waits for a client's write of it that is still queued. Through
 * the real routing, outbox, OpenLMIS connector and its sandbox, on both store engines: a client's
 * update of a Location meets a failing OpenLMIS and is queued (202, retried by the worker); the
 * registry then renames the facility. Written at once, the propagation would be overwritten when
 * the client's retry lands (made from the record before the rename). It waits for the client's
 * write and is built on it: OpenLMIS stores the client's name, then the registry's.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { createRoutingServices } from '../../../../src/routing/index.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';
import { namesWritten } from '../../../support/names-written.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

for (const engine of engineCases()) {
  t.test(
    `a registry change waits for a queued client write of the facility (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: { default: null } });
      const { lmis, lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID);
      await rig.pull(); // the registry as it is
      const services = createRoutingServices({
        connectors: rig.connectors.list(),
        outbox: rig.outbox,
        store: rig.store,
      });

      const names = namesWritten(rig.openlmis.state.store.facilities, lmisId);

      // OpenLMIS refuses the client's write for a while: its first delivery and many retries
      const fault = rig.openlmis.faults.add({
        method: 'PUT',
        path: `/api/facilities/${lmisId}`,
        action: { type: 'status', status: 503 },
      });
      const read = await services.facilities!.read(lmisId);
      const written = await services.facilities!.write(
        { ...read!, name: 'Client name', lastUpdated: undefined },
        { mode: 'update', current: { value: read } },
      );
      t.equal(written.status, 'accepted', 'the client write is queued');

      rig.mfr.state.rename(CODE, 'Registry name');
      const pulled = rig.pull();
      await until(
        'the propagation tried',
        async () => (await rig.store.listJobs({ flow: 'propagate' })).some((j) => j.attempts > 0) || undefined,
        20_000,
      );
      await new Promise((r) => setTimeout(r, 1_000)); // room for a propagation that does not wait
      rig.openlmis.faults.remove(fault.id);
      await pulled;

      t.same(names.slice(1), ['Client name', 'Registry name'], 'the client write, then the registry change on it');
      t.equal((await lmis.facilities!.get(lmisId))?.name, 'Registry name', 'OpenLMIS holds the registry change');
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'done' });
    },
  );
}
