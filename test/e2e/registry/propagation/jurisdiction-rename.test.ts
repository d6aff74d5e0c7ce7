/**
 * A jurisdiction (area Location) renamed in the registry: its facilities need no re-propagation
 * (no system keeps its parent's name or path on the facility: OpenLMIS holds a geographic zone id,
 * DHIS2 a parent org unit id, OpenMRS a parent location uuid, Open mSupply no parent at all), and
 * later facility changes under it still find the system's area, because propagation looks the
 * parent up by the jurisdiction's registry code (the OpenLMIS zone code, the DHIS2 org unit code)
 * before its name, which is what the rename changed. Shown end to end with the sandboxes: after
 * the rename nothing is written; then a change of a facility under it, a move into it and a new
 * facility in it each reach OpenLMIS and DHIS2 with that district as parent, and nothing is
 * reported as "no area named …".
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { startPropagationRig, type PropagationRig } from '../../../support/propagation-rig.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
/** LK-HC-103 lies in Tsangano District; it is moved into the renamed one. */
const MOVED = 'LK-HC-103';
const DISTRICT = 'LKL-N-MBR';
const NEW_NAME = 'Mberewa North District';
const AREA_SYSTEMS = ['openlmis', 'dhis2'];
/** New facilities go to OpenLMIS and DHIS2 (the two systems that keep areas). */
const ROUTING: FlowRouting = { default: 'openlmis', secondary: [{ system: 'dhis2' }] };

const connector = (rig: PropagationRig, system: string): Connector =>
  rig.connectors.list().find((x) => x.system === system)!;

async function idByCode(c: Connector, code: string, kind = 'facility'): Promise<string | undefined> {
  const { items } = await c.facilities!.search({ identifier: { value: code } });
  return items.find((f) => f.kind === kind && f.identifiers.some((i) => i.value === code))?.id;
}

t.test('a renamed district: nothing is written, and later changes under it find the area by its code', async (t) => {
  const rig = await startPropagationRig({ routing: ROUTING });
  t.teardown(() => rig.close());
  const ids: Record<string, string> = {
    openlmis: (await idByCode(connector(rig, 'openlmis'), CODE))!,
    dhis2: (await idByCode(connector(rig, 'dhis2'), CODE))!,
    openmrs: LOC.mwangaza,
  };
  for (const [system, id] of Object.entries(ids)) await rig.link(system, id, REGISTRY_ID);
  const moved: Record<string, string> = {};
  const district: Record<string, string> = {};
  for (const system of AREA_SYSTEMS) {
    moved[system] = (await idByCode(connector(rig, system), MOVED))!;
    await rig.link(system, moved[system], facilityId(MOVED));
    district[system] = (await idByCode(connector(rig, system), DISTRICT, 'area'))!;
    t.ok(district[system], `${system} keeps the district as an area with code ${DISTRICT}`);
  }
  await rig.pull();
  const read = async (system: string, id = ids[system]) => {
    const f = await connector(rig, system).facilities!.get(id);
    return f && { ...f, lastUpdated: undefined };
  };
  const before: Record<string, unknown> = {};
  for (const system of Object.keys(ids)) before[system] = await read(system);
  for (const system of AREA_SYSTEMS)
    t.equal((before[system] as { partOf?: string }).partOf, district[system], `${system}: ${CODE} is in the district`);
  rig.writes.length = 0;

  rig.mfr.state.rename(DISTRICT, NEW_NAME);
  await rig.pull();
  t.same(
    rig.writes.map((w) => `${w.system} ${w.method} ${w.url}`),
    [],
    'the rename itself writes nothing: no system keeps the parent name or path on the facility',
  );
  for (const system of Object.keys(ids))
    t.same(await read(system), before[system], `${system}: the facility reads back as it was`);

  // a change of a facility under the renamed district
  rig.mfr.state.rename(CODE, 'Mberewa Health Centre II');
  // a facility moved into it, and a new one opened in it
  rig.mfr.state.move(MOVED, DISTRICT);
  rig.mfr.state.open({ code: 'LK-HC-191', name: 'Mberewa Hill Clinic', parent: DISTRICT, point: [34.13, -10.42] });
  await rig.pull();

  for (const system of Object.keys(ids)) {
    const after = await read(system);
    t.equal(after?.name, 'Mberewa Health Centre II', `${system} renamed`);
    t.equal(after?.partOf, (before[system] as { partOf?: string }).partOf, `${system} parent kept`);
  }
  for (const system of AREA_SYSTEMS) {
    t.equal(
      (await read(system, moved[system]))?.partOf,
      district[system],
      `${system}: ${MOVED} moved into the district`,
    );
    const created = await idByCode(connector(rig, system), 'LK-HC-191');
    t.ok(created, `${system}: the new facility was created`);
    t.equal((await read(system, created!))?.partOf, district[system], `${system}: created under the district`);
    for (const registryId of [REGISTRY_ID, facilityId(MOVED), facilityId('LK-HC-191')]) {
      const row = await rig.store.getPropagation(registryId, system);
      t.equal(row?.state, 'done', `${system} ${registryId}: done`);
      t.notOk(row?.unsupported?.parent, `${system} ${registryId}: the parent was found (no "no area named")`);
    }
  }
});
