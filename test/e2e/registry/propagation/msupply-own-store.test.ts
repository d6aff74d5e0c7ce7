/**
 * Open mSupply's supplying warehouse, linked to a registry facility, takes the registry's values
 * like any other store. A store sees the names it trades with, not its own, and the mediator's
 * user defaults to that warehouse: the name was looked up from the default store only, so every
 * registry change of the warehouse failed ("no name visible from this user's store") while the
 * health centres it supplies, which see it, were never asked. Found through the demo: accepting
 * store-wh-central in the review queue released a change that failed at once.
 * Real connector and sandbox, both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { connectorOf } from '../../../support/linked-facility.js';

const REGISTRY_CODE = 'LK-WH-301';
const REGISTRY_ID = facilityId(REGISTRY_CODE);

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: the warehouse the mediator's user works in takes its registry values`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: { default: null } });
      const { items } = await connectorOf(rig, 'msupply').facilities!.search({ identifier: { value: 'WH-CENTRAL' } });
      const warehouse = items.find((f) => f.kind === 'facility')?.id;
      t.ok(warehouse, 'Open mSupply has the WH-CENTRAL store');
      const me = rig.msupply.state.users.get('mediator');
      t.equal(me?.storeIds[0], warehouse, "the warehouse is the user's default store (it does not see its own name)");
      await rig.link('msupply', warehouse!, REGISTRY_ID);

      await rig.pull();
      await drain(rig.store);
      const row = await rig.store.getPropagation(REGISTRY_ID, 'msupply');
      t.match(row, { state: 'done', systemId: warehouse }, `propagated (${row?.reason ?? ''})`);
      const own = [...rig.msupply.state.names.values()].find((n) => n.storeId === warehouse);
      t.match(
        own?.properties,
        { registry_code: REGISTRY_CODE, registry_status: 'active' },
        "the registry code and status are kept as the warehouse's own name properties",
      );
    },
  );
}
