/** Locations from Open mSupply stores: id, code, name; never a position (Open mSupply has none). */
import t from 'tap';
import { STORE_CODE_SYSTEM } from '../../../../src/systems/msupply/identifiers.js';
import { startRig } from './harness.js';

t.test('stores read as facility Locations with their code as identifier', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const f = rig.connector.facilities!;
  const north = await f.get('store-hc-north');
  t.same(north, {
    id: 'store-hc-north', identifiers: [{ system: STORE_CODE_SYSTEM, value: 'HC-NORTH' }], name: 'North Health Centre',
    status: 'active', kind: 'facility', source: { system: 'msupply', id: 'store-hc-north' },
  });
  t.equal(north!.position, undefined, 'no coordinates: Open mSupply stores have none');
  t.equal(await f.get('no-such-store'), undefined);
  t.same((await f.search({ identifier: { system: STORE_CODE_SYSTEM, value: 'HC-SOUTH' } })).items.map((x) => x.id), ['store-hc-south']);
  t.same((await f.search({ identifier: { system: 'https://other.example/ids', value: 'HC-SOUTH' } })).items, [], 'another system\'s identifier is not a store code');
  t.same((await f.search({ name: 'health' })).items.map((x) => x.id).sort(), ['store-hc-east', 'store-hc-north', 'store-hc-south'], 'name search: starts a word');
  t.same((await f.search({ name: 'ealth' })).items, [], 'not a substring in the middle of a word');
  t.same((await f.search({ ids: ['store-wh-central', 'nope'] })).items.map((x) => x.name), ['Central Medical Store']);
  t.equal((await f.listAll!()).length, 4);
});
