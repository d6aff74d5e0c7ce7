/**
 * Closures the mediator makes itself, through the real connectors and sandboxes, on both store
 * engines: a facility renamed then deleted before the next pull ends closed under its last name
 * (the DELETE closes the version in its own batch, not the older one in the store); and a facility
 * the full read found gone, then republished by a registry whose clock runs behind this machine's,
 * opens again everywhere (the mediator's closure is dated on the registry's clock, not its own).
 */
import t, { type Test } from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { startPropagationRigOn, type RigOptions } from '../../../support/propagation-rig.js';
import { engineCases, type EngineCase } from '../../../support/outbox-engines.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];

/** A rig on a fresh database of the engine, CODE linked in the three systems that take writes. */
async function linkedRig(t: Test, engine: EngineCase, options: RigOptions = {}) {
  const rig = await startPropagationRigOn(t, engine, { ...options, routing: { default: null } });
  const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
  return { rig, ids };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: renamed then deleted before a pull, closed under its last name`,
    { skip: engine.skip },
    async (t) => {
      const { rig, ids } = await linkedRig(t, engine);
      rig.mfr.state.rename(CODE, 'Mberewa Health Centre (renamed)');
      rig.mfr.state.delete(CODE);
      await rig.pull();
      for (const system of SYSTEMS) {
        const f = await connectorOf(rig, system).facilities!.get(ids[system]);
        t.equal(f?.status, 'inactive', `${system} deactivated`);
        t.equal(f?.name, 'Mberewa Health Centre (renamed)', `${system} keeps the name the registry gave it last`);
        t.match(await rig.store.getPropagation(REGISTRY_ID, system), { action: 'deactivate', state: 'done' });
      }
    },
  );

  t.test(
    `${engine.name}: found gone, then republished by a registry an hour behind: open again everywhere`,
    { skip: engine.skip },
    async (t) => {
      const { rig, ids } = await linkedRig(t, engine, {
        env: { REGISTRY_FULL_READ_HOURS: '0.000001' },
        mfr: { state: { now: () => Date.now() - 3_600_000 } },
      });
      rig.mfr.state.unpublish(CODE);
      // a full read is due 3.6 ms after the last one (linkedRig's pull made one)
      await new Promise((r) => setTimeout(r, 10));
      t.equal((await rig.pull()).absent, 1, 'the full read confirms it gone');
      for (const system of SYSTEMS)
        t.equal((await connectorOf(rig, system).facilities!.get(ids[system]))?.status, 'inactive', `${system} closed`);

      rig.mfr.state.reopen(CODE); // a new version, listed again
      await new Promise((r) => setTimeout(r, 10));
      const counts = await rig.pull();
      t.equal(counts.changed, 1, 'the republished version is kept');
      t.equal(counts.absent, 0, 'and the full read finds it listed');
      for (const system of SYSTEMS) {
        t.equal(
          (await connectorOf(rig, system).facilities!.get(ids[system]))?.status,
          'active',
          `${system} open again`,
        );
        t.match(await rig.store.getPropagation(REGISTRY_ID, system), { action: 'update', state: 'done' });
      }
    },
  );

  t.test(
    `${engine.name}: missed by one full read, listed again unchanged: open again everywhere, once`,
    { skip: engine.skip },
    async (t) => {
      const { rig, ids } = await linkedRig(t, engine, { env: { REGISTRY_FULL_READ_HOURS: '0.000001' } });
      const fullRead = async () => {
        await new Promise((r) => setTimeout(r, 10)); // a full read is due 3.6 ms after the last one
        return rig.pull();
      };
      const statuses = async () =>
        Promise.all(SYSTEMS.map(async (s) => (await connectorOf(rig, s).facilities!.get(ids[s]))?.status));
      // a full read that does not list it (a filter or a permission changed for a while), no new version
      rig.mfr.state.unpublish(CODE);
      t.equal((await fullRead()).absent, 1);
      t.same(await statuses(), ['inactive', 'inactive', 'inactive']);
      rig.mfr.state.relist(REGISTRY_ID);
      t.match(await fullRead(), { absent: 0, relisted: 1 }, 'listed again in the version it was closed in');
      t.same(await statuses(), ['active', 'active', 'active'], 'open again in every system');
      rig.writes.length = 0;
      t.match(await fullRead(), { absent: 0, relisted: 0 }, 'the next full read has nothing to undo');
      t.same(rig.writes, [], 'and writes nothing');
      // missed again, and back again: the same undoing, not stuck behind the first one
      rig.mfr.state.unpublish(CODE);
      t.equal((await fullRead()).absent, 1);
      rig.mfr.state.relist(REGISTRY_ID);
      t.match(await fullRead(), { relisted: 1 });
      t.same(await statuses(), ['active', 'active', 'active']);
      // the registry's next version still wins over the mediator's own
      rig.mfr.state.rename(CODE, 'Mberewa Health Centre (after)');
      await rig.pull();
      t.equal(
        (await connectorOf(rig, 'openlmis').facilities!.get(ids.openlmis))?.name,
        'Mberewa Health Centre (after)',
      );
    },
  );
}
