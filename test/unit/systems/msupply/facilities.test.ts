/** Locations from Open mSupply stores: id, code, name; never a position (Open mSupply has none). */
import t from 'tap';
import { NAME_CODE_SYSTEM, STORE_CODE_SYSTEM } from '../../../../src/systems/msupply/identifiers.js';
import { NAME_ROLE_SYSTEM } from '../../../../src/systems/msupply/facilities.js';
import { startRig } from './harness.js';

t.test('stores read as facility Locations with their code as identifier', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const f = rig.connector.facilities!;
  const north = await f.get('store-hc-north');
  t.same(north, {
    id: 'store-hc-north',
    identifiers: [{ system: STORE_CODE_SYSTEM, value: 'HC-NORTH' }],
    name: 'North Health Centre',
    status: 'active',
    kind: 'facility',
    source: { system: 'msupply', id: 'store-hc-north' },
  });
  t.equal(north!.position, undefined, 'no coordinates: Open mSupply stores have none');
  t.equal(await f.get('no-such-store'), undefined);
  t.same(
    (await f.search({ identifier: { system: STORE_CODE_SYSTEM, value: 'HC-SOUTH' } })).items.map((x) => x.id),
    ['store-hc-south'],
  );
  t.same(
    (await f.search({ identifier: { system: 'https://other.example/ids', value: 'HC-SOUTH' } })).items,
    [],
    "another system's identifier is not a store code",
  );
  t.same(
    (await f.search({ name: 'health' })).items.map((x) => x.id).sort(),
    ['store-hc-east', 'store-hc-north', 'store-hc-south'],
    'name search: starts a word',
  );
  t.same((await f.search({ name: 'ealth' })).items, [], 'not a substring in the middle of a word');
  t.same(
    (await f.search({ ids: ['store-wh-central', 'nope'] })).items.map((x) => x.name),
    ['Central Medical Store'],
  );
  t.same(
    (await f.listAll!()).map((x) => x.id).sort(),
    ['name-clinic-west', 'store-hc-east', 'store-hc-north', 'store-hc-south', 'store-wh-central'],
    'four stores and one name that is not a store',
  );
});

t.test('names that are not stores read as Locations, with their code and role', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const f = rig.connector.facilities!;
  const clinic = await f.get('name-clinic-west');
  t.same(
    clinic,
    {
      id: 'name-clinic-west',
      identifiers: [{ system: NAME_CODE_SYSTEM, value: 'CL-WEST' }],
      name: 'West Community Clinic',
      status: 'active',
      kind: 'facility',
      types: [{ system: NAME_ROLE_SYSTEM, code: 'customer' }],
      source: { system: 'msupply', id: 'name-clinic-west' },
    },
    'a customer of the warehouse (the default store)',
  );
  t.same(
    (await f.search({ identifier: { system: NAME_CODE_SYSTEM, value: 'CL-WEST' } })).items.map((x) => x.id),
    ['name-clinic-west'],
  );
  t.same(
    (await f.search({ identifier: { system: NAME_CODE_SYSTEM, value: 'HC-NORTH' } })).items,
    [],
    "a store's own name is served as the store, not twice",
  );
  t.same(
    (await f.search({ type: 'customer' })).items.map((x) => x.id),
    ['name-clinic-west'],
    'by role',
  );
  t.same(
    (await f.search({ name: 'west' })).items.map((x) => x.name),
    ['West Community Clinic'],
  );
  t.equal(clinic!.position, undefined, 'no coordinates here either');
});

t.test("a name search finds an accented name Open mSupply's codeOrName like misses", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.state.stores.get('store-hc-north')!.name = 'Hôpital du Nord';
  const f = rig.connector.facilities!;
  t.same(
    (await f.search({ name: 'Hopital' })).items.map((x) => x.id),
    ['store-hc-north'],
    'accents ignored',
  );
  t.same(
    (await f.search({ name: 'HÔPITAL' })).items.map((x) => x.id),
    ['store-hc-north'],
    'and case',
  );
  t.same((await f.search({ name: 'opital' })).items, [], 'still a start of a word');
});
