/**
 * Registry propagation, field by field, through the real connectors and sandboxes (issue 14):
 * a facility surveyed at a new position and re-classed reaches each system in the fields that
 * system keeps; what a system cannot take (Open mSupply: no coordinates; OpenMRS: no facility
 * type) is reported per field; what a system owns (OpenLMIS programs) is never overwritten; a
 * closed facility in Open mSupply keeps the registry status in its name property.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { startPropagationRig, type PropagationRig } from '../../../support/propagation-rig.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs', 'msupply'] as const;

const connector = (rig: PropagationRig, system: string): Connector =>
  rig.connectors.list().find((x) => x.system === system)!;

async function idByCode(c: Connector, code: string): Promise<string> {
  const { items } = await c.facilities!.search({ identifier: { value: code } });
  const id = items.find((f) => f.kind === 'facility')?.id;
  if (!id) throw new Error(`${c.system} has no facility ${code}`);
  return id;
}

/** LK-HC-101 linked in all four systems (Open mSupply: the north health centre's store). */
async function linkedRig(): Promise<{ rig: PropagationRig; ids: Record<string, string> }> {
  const rig = await startPropagationRig({ routing: { default: null } });
  const ids = {
    openlmis: await idByCode(connector(rig, 'openlmis'), CODE),
    dhis2: await idByCode(connector(rig, 'dhis2'), CODE),
    openmrs: LOC.mwangaza,
    msupply: await idByCode(connector(rig, 'msupply'), 'HC-NORTH'),
  };
  for (const [system, id] of Object.entries(ids)) await rig.link(system, id, REGISTRY_ID);
  await rig.pull(); // the registry as it is
  rig.writes.length = 0;
  return { rig, ids };
}

t.test('a new position and type: kept where each system can, reported per field where not', async (t) => {
  const { rig, ids } = await linkedRig();
  t.teardown(() => rig.close());
  const lmisBefore = await connector(rig, 'openlmis').facilities!.get(ids.openlmis);
  t.ok(lmisBefore?.programs?.length, 'OpenLMIS supports programs at the facility');

  rig.mfr.state.relocate(CODE, [34.25, -10.55]);
  rig.mfr.state.retype(CODE, 'HOSP');
  await rig.pull();

  for (const system of ['openlmis', 'dhis2', 'openmrs']) {
    const f = await connector(rig, system).facilities!.get(ids[system]);
    t.same(f?.position, { latitude: -10.55, longitude: 34.25 }, `${system} has the surveyed position`);
    t.match(await rig.store.getPropagation(REGISTRY_ID, system), { state: 'done', action: 'update' }, `${system} done`);
  }
  const lmis = await connector(rig, 'openlmis').facilities!.get(ids.openlmis);
  t.same(
    lmis?.types?.map((x) => x.code),
    ['dist_hosp'],
    'the registry type reached OpenLMIS in its own vocabulary (facility-types.json)',
  );
  t.same(lmis?.programs, lmisBefore?.programs, 'OpenLMIS programs are the facility’s own: kept as they were');
  t.same(lmis?.name, lmisBefore?.name, 'and nothing else changed');

  t.match(
    (await rig.store.getPropagation(REGISTRY_ID, 'openmrs'))?.unsupported,
    { type: /OpenMRS locations have no facility type/ },
    'OpenMRS reports the type it cannot keep',
  );
  t.notOk((await rig.store.getPropagation(REGISTRY_ID, 'openmrs'))?.unsupported?.position, 'but not the position');
  for (const system of SYSTEMS)
    t.notOk(
      (await rig.store.getPropagation(REGISTRY_ID, system))?.unsupported?.code,
      `${system}: an unchanged registry code is not reported`,
    );
  const ms = await rig.store.getPropagation(REGISTRY_ID, 'msupply');
  t.match(ms, { state: 'done', unsupported: { position: /keep no coordinates/ } }, 'Open mSupply reports the position');
  const msRecord = await connector(rig, 'msupply').facilities!.get(ids.msupply);
  t.equal(msRecord?.position, undefined, 'and holds none');

  // every system's record written once for the newest version, none twice
  for (const system of ['openlmis', 'dhis2', 'openmrs']) {
    const rows = rig.writes.filter((w) => w.system === system);
    t.ok(rows.length >= 1 && rows.length <= 2, `${system}: ${rows.length} write(s) for two registry versions`);
  }
  rig.writes.length = 0;
  const again = await rig.pull();
  t.equal(again.changed, 0, 'a pull with nothing new');
  t.same(rig.writes, [], 'writes nothing again');
});

t.test('a closed facility: Open mSupply keeps the registry status as a name property', async (t) => {
  const { rig, ids } = await linkedRig();
  t.teardown(() => rig.close());
  rig.mfr.state.close(CODE);
  await rig.pull();
  for (const system of SYSTEMS.filter((s) => s !== 'msupply'))
    t.equal((await connector(rig, system).facilities!.get(ids[system]))?.status, 'inactive', `${system} deactivated`);
  const storeName = [...rig.msupply.state.names.values()].find((n) => n.storeId === ids.msupply);
  t.equal(storeName?.properties?.registry_status, 'inactive', 'the registry status is kept on the store’s name');
  t.match(await rig.store.getPropagation(REGISTRY_ID, 'msupply'), {
    state: 'done',
    action: 'deactivate',
    unsupported: { status: /closed in its central server/ },
  });
  const mutations = rig.writes.filter(
    (w) => w.system === 'msupply' && /\bmutation\b/.test(JSON.stringify(w.requestBody)),
  );
  t.equal(mutations.length, 1, 'one Open mSupply write');
});

t.test('a new registry code: OpenMRS and Open mSupply keep it, OpenLMIS and DHIS2 report it', async (t) => {
  const { rig, ids } = await linkedRig();
  t.teardown(() => rig.close());
  rig.mfr.state.recode(CODE, 'LK-HC-101A');
  await rig.pull();
  const omrs = await connector(rig, 'openmrs').facilities!.get(ids.openmrs);
  t.same(
    omrs?.identifiers.filter((i) => i.system === rig.settings['registry.identifierSystem']).map((i) => i.value),
    ['LK-HC-101A'],
    'OpenMRS holds the new registry code (a location attribute), the old one gone',
  );
  const storeName = [...rig.msupply.state.names.values()].find((n) => n.storeId === ids.msupply);
  t.equal(storeName?.properties?.registry_code, 'LK-HC-101A', 'Open mSupply keeps it as a name property');
  for (const system of SYSTEMS)
    t.match(await rig.store.getPropagation(REGISTRY_ID, system), { state: 'done', version: '2' }, `${system} done`);
  // OpenLMIS and DHIS2 keep their own codes (their users and data values go by them): the new
  // registry code is reported as not kept, and their codes are as they were
  t.match(
    (await rig.store.getPropagation(REGISTRY_ID, 'openlmis'))?.unsupported,
    { code: /OpenLMIS keeps its own facility code/ },
    'OpenLMIS reports the registry code it does not keep',
  );
  t.match(
    (await rig.store.getPropagation(REGISTRY_ID, 'dhis2'))?.unsupported,
    { code: /DHIS2 keeps the org unit code it has/ },
    'DHIS2 reports the registry code it does not keep',
  );
  for (const system of ['openlmis', 'dhis2']) {
    const f = await connector(rig, system).facilities!.get(ids[system]);
    t.ok(
      f?.identifiers.some((i) => i.value === CODE),
      `${system} still carries its own code ${CODE}`,
    );
  }
  for (const system of ['openmrs', 'msupply'])
    t.notOk((await rig.store.getPropagation(REGISTRY_ID, system))?.unsupported?.code, `${system} kept it: no report`);
});
