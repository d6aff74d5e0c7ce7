/**
 * Registry propagation end to end: the registry sandbox changes a facility, one pull of the
 * `propagate` job carries it through the outbox and the real connectors to OpenLMIS, DHIS2,
 * OpenMRS and Open mSupply (there only its name property values: a site cannot rename a name),
 * exactly once each.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { startPropagationRig, type PropagationRig } from '../../../support/propagation-rig.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);

async function idByCode(c: Connector, code: string): Promise<string> {
  const { items } = await c.facilities!.search({ identifier: { value: code } });
  const id = items.find((f) => f.kind === 'facility')?.id;
  if (!id) throw new Error(`${c.system} has no facility ${code}`);
  return id;
}

/** The rig with LK-HC-101 linked in every system (as the review queue would leave it). */
async function linkedRig(routing = { default: null }): Promise<{ rig: PropagationRig; ids: Record<string, string> }> {
  const rig = await startPropagationRig({ routing });
  const c = (s: string) => rig.connectors.list().find((x) => x.system === s)!;
  const ids = {
    openlmis: await idByCode(c('openlmis'), CODE),
    dhis2: await idByCode(c('dhis2'), CODE),
    openmrs: LOC.mwangaza,
    msupply: await idByCode(c('msupply'), 'HC-NORTH'),
  };
  for (const [system, id] of Object.entries(ids)) await rig.link(system, id, REGISTRY_ID);
  return { rig, ids };
}

const writesTo = (rig: PropagationRig, system: string) => rig.writes.filter((w) => w.system === system);
const read = (rig: PropagationRig, system: string, id: string) =>
  rig.connectors
    .list()
    .find((x) => x.system === system)!
    .facilities!.get(id);

t.test('a rename reaches OpenLMIS, DHIS2, OpenMRS and Open mSupply exactly once each', async (t) => {
  const { rig, ids } = await linkedRig();
  t.teardown(() => rig.close());
  const first = await rig.pull(); // the registry as it is: linked records take its name and code
  t.ok(first.read > 0, 'the first pull reads the whole registry');
  rig.writes.length = 0;

  rig.mfr.state.rename(CODE, 'Mberewa Health Centre II');
  const counts = await rig.pull();
  t.equal(counts.changed, 1, 'one new Location version');
  for (const system of ['openlmis', 'dhis2', 'openmrs']) {
    t.equal((await read(rig, system, ids[system as keyof typeof ids]))?.name, 'Mberewa Health Centre II', system);
    const row = await rig.store.getPropagation(REGISTRY_ID, system);
    t.match(row, { state: 'done', action: 'update', systemId: ids[system as keyof typeof ids] }, `${system} done`);
  }
  t.ok(writesTo(rig, 'openlmis').length >= 1 && writesTo(rig, 'openlmis').length <= 1, 'one OpenLMIS write');
  t.equal(writesTo(rig, 'dhis2').length, 1, 'one DHIS2 write');
  t.equal(writesTo(rig, 'openmrs').length, 1, 'one OpenMRS write');
  // GraphQL reads are POSTs too: the write is the one mutation
  const mutations = writesTo(rig, 'msupply').filter((w) => /\bmutation\b/.test(JSON.stringify(w.requestBody)));
  t.equal(mutations.length, 1, 'one Open mSupply write: its name properties');
  const storeName = [...rig.msupply.state.names.values()].find((n) => n.storeId === ids.msupply);
  t.match(
    storeName?.properties,
    { registry_code: CODE, registry_name: 'Mberewa Health Centre II', registry_status: 'active' },
    'the registry code, name and status are kept as name properties',
  );
  t.equal(storeName?.name, 'North Health Centre', 'the name itself is changed only in the central server');
  t.match(await rig.store.getPropagation(REGISTRY_ID, 'msupply'), {
    state: 'done',
    unsupported: {
      name: /renamed in its central server; the registry name is kept in the name property registry_name/,
    },
  });

  rig.writes.length = 0;
  const again = await rig.pull();
  t.equal(again.changed, 0, 'a pull with nothing new');
  t.same(rig.writes, [], 'writes nothing again');
});
