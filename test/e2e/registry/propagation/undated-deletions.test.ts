/**
 * A registry whose history gives a DELETE entry neither etag nor lastModified (the sandbox's
 * `deleteEntries: 'bare'`): a facility deleted, re-created and deleted again before one pull ends
 * closed under its re-created name, and deleted then re-created ends open, in every system. The
 * history comes newest first, so the last DELETE is the answer's first entry: nothing before it
 * dates it. Real connectors and sandboxes, both store engines.
 */
import t, { type Test } from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases, type EngineCase } from '../../../support/outbox-engines.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
const REOPENED = 'Mberewa Health Centre (re-opened)';

async function bareDeletesRig(t: Test, engine: EngineCase) {
  const rig = await startPropagationRigOn(t, engine, { routing: { default: null }, mfr: { deleteEntries: 'bare' } });
  const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
  const states = async () =>
    Object.fromEntries(
      await Promise.all(
        SYSTEMS.map(async (s) => {
          const f = await connectorOf(rig, s).facilities!.get(ids[s]);
          return [s, `${f?.name} (${f?.status})`] as const;
        }),
      ),
    );
  const everywhere = (status: string) => Object.fromEntries(SYSTEMS.map((s) => [s, `${REOPENED} (${status})`]));
  const recreate = () => rig.mfr.state.open({ code: CODE, name: REOPENED, parent: 'LKL-N-MBR' });
  return { rig, states, everywhere, recreate };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: deleted, re-created, deleted again, undated: closed under the re-created name`,
    { skip: engine.skip },
    async (t) => {
      const { rig, states, everywhere, recreate } = await bareDeletesRig(t, engine);
      rig.mfr.state.delete(CODE);
      recreate();
      rig.mfr.state.delete(CODE);
      await rig.pull();
      t.same(await states(), everywhere('inactive'));
      for (const system of SYSTEMS)
        t.match(await rig.store.getPropagation(REGISTRY_ID, system), { action: 'deactivate', state: 'done' });
      rig.writes.length = 0;
      await rig.pull();
      t.same(rig.writes, [], 'the boundary re-read writes nothing');
    },
  );

  t.test(
    `${engine.name}: deleted then re-created, undated: open under the re-created name`,
    { skip: engine.skip },
    async (t) => {
      const { rig, states, everywhere, recreate } = await bareDeletesRig(t, engine);
      rig.mfr.state.delete(CODE);
      recreate();
      await rig.pull();
      t.same(await states(), everywhere('active'));
    },
  );
}
