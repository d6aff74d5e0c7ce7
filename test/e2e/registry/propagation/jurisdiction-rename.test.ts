/**
 * A jurisdiction (area Location) renamed in the registry needs no re-propagation of the facilities
 * under it: no system keeps its parent's name or path on the facility. OpenLMIS holds a
 * geographic zone id, DHIS2 a parent org unit id (its path is ids), OpenMRS a parent location uuid
 * (its address fields come from the facility's own address, not from the jurisdiction), and Open
 * mSupply no parent at all. Shown end to end: after the rename, nothing is written anywhere and
 * each record reads back as it was; a later change of the facility keeps its parent, reporting
 * that the system has no area of the new name (the system's own area keeps its own name).
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { startPropagationRig, type PropagationRig } from '../../../support/propagation-rig.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

const connector = (rig: PropagationRig, system: string): Connector =>
  rig.connectors.list().find((x) => x.system === system)!;

async function idByCode(c: Connector, code: string): Promise<string | undefined> {
  const { items } = await c.facilities!.search({ identifier: { value: code } });
  return items.find((f) => f.kind === 'facility')?.id;
}

t.test('a renamed district writes nothing; a later facility change keeps its parent', async (t) => {
  const rig = await startPropagationRig({ routing: { default: null } });
  t.teardown(() => rig.close());
  const ids: Record<string, string> = {
    openlmis: (await idByCode(connector(rig, 'openlmis'), CODE))!,
    dhis2: (await idByCode(connector(rig, 'dhis2'), CODE))!,
    openmrs: LOC.mwangaza,
  };
  for (const [system, id] of Object.entries(ids)) await rig.link(system, id, REGISTRY_ID);
  await rig.pull();
  const read = async (system: string) => {
    const f = await connector(rig, system).facilities!.get(ids[system]);
    return f && { ...f, lastUpdated: undefined };
  };
  const before: Record<string, unknown> = {};
  for (const system of Object.keys(ids)) before[system] = await read(system);
  rig.writes.length = 0;

  // LK-HC-101's district, renamed in the registry
  rig.mfr.state.rename('LKL-N-MBR', 'Mberewa North District');
  const counts = await rig.pull();
  t.ok(counts, 'the pull took the change');
  t.same(
    rig.writes.map((w) => `${w.system} ${w.method} ${w.url}`),
    [],
    'no system is written: none keeps the parent name or path on the facility',
  );
  for (const system of Object.keys(ids))
    t.same(await read(system), before[system], `${system}: the facility reads back as it was`);

  // the facility itself changes later: its parent stays; where the system looks the parent up by
  // the registry's (new) name and has no such area, that is reported, never a wrong parent
  rig.mfr.state.rename(CODE, 'Mberewa Health Centre II');
  await rig.pull();
  for (const system of Object.keys(ids)) {
    const after = await read(system);
    t.equal(after?.name, 'Mberewa Health Centre II', `${system} renamed`);
    t.equal(after?.partOf, (before[system] as { partOf?: string }).partOf, `${system} parent kept`);
  }
  for (const system of ['openlmis', 'dhis2'])
    t.match(
      (await rig.store.getPropagation(REGISTRY_ID, system))?.unsupported,
      { parent: /no area named Mberewa North District/ },
      `${system}: the new district name is not an area there, reported`,
    );
});
