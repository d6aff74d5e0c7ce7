/**
 * The supplying store of an RTS requisition's facility (issue 15), by routing.json
 * `supplyingStores`: the first rule that holds (facility, enclosing area by org unit id, code or
 * name, program), then (fromCrosswalk) the nearest area the crosswalk links to an Open mSupply
 * store, else the section's default, else msupply.supplierCode; a null default holds the
 * requisition with why. Areas are walked up `partOf`, each org unit read once. The section is
 * checked by routing.schema.json like the rest of the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { areaWalker, chooseSupplier, storesNamed, type SupplyingStores } from '../../../src/bridges/rts-supplier.js';
import { MappingError, loadMapping, problemsOf } from '../../../src/config/mappings.js';
import type { Facility, Order } from '../../../src/domain/index.js';
import { ROUTING_FILE } from '../../../src/routing/rules.js';

const CODE = 'http://dhis2.org/code';

/** A small org unit tree: Lakeland → Northern region → Mberewa district → two health centres; Chilanga under the south. */
const tree: Facility[] = [
  { id: 'LKL', name: 'Lakeland', status: 'active', kind: 'area', identifiers: [{ system: CODE, value: 'LKL' }] },
  {
    id: 'ouNorth',
    name: 'Northern Highlands Region',
    status: 'active',
    kind: 'area',
    partOf: 'LKL',
    identifiers: [{ system: CODE, value: 'LKL-N' }],
  },
  {
    id: 'ouMbr',
    name: 'Mberewa District',
    status: 'active',
    kind: 'area',
    partOf: 'ouNorth',
    identifiers: [{ system: CODE, value: 'LKL-N-MBR' }],
  },
  {
    id: 'ouSouth',
    name: 'Southern Lakeshore Region',
    status: 'active',
    kind: 'area',
    partOf: 'LKL',
    identifiers: [{ system: CODE, value: 'LKL-S' }],
  },
  {
    id: 'hc101',
    name: 'Mberewa HC',
    status: 'active',
    kind: 'facility',
    partOf: 'ouMbr',
    identifiers: [{ system: CODE, value: 'LK-HC-101' }],
  },
  {
    id: 'hc102',
    name: 'Kasito HC',
    status: 'active',
    kind: 'facility',
    partOf: 'ouMbr',
    identifiers: [{ system: CODE, value: 'LK-HC-102' }],
  },
  {
    id: 'hc104',
    name: 'Chilanga Town Clinic',
    status: 'active',
    kind: 'facility',
    partOf: 'ouSouth',
    identifiers: [{ system: CODE, value: 'LK-HC-104' }],
  },
];

function reader() {
  const reads: string[] = [];
  const get = async (id: string) => {
    reads.push(id);
    return tree.find((f) => f.id === id);
  };
  return { reads, areasOf: areaWalker(get) };
}

const orderAt = (id: string, program?: string): Order => ({
  orderNumber: { system: 'urn:event', value: `ev-${id}` },
  status: 'active',
  priority: 'routine',
  facility: { id, identifier: { system: CODE, value: tree.find((f) => f.id === id)!.identifiers[0].value } },
  program,
  lines: [],
});

t.test('the first rule that holds names the store; else the default; else msupply.supplierCode', async (t) => {
  const rules: SupplyingStores = {
    rules: [
      { name: 'family planning from the central store', when: { program: ['FP'] }, store: 'WH-CENTRAL' },
      { name: 'Mberewa by district code', when: { area: ['LKL-N-MBR'] }, store: 'LK-WH-301' },
      { name: 'the south by region name', when: { area: ['Southern Lakeshore Region'] }, store: 'LK-WH-302' },
      { name: 'one clinic by its code', when: { facility: ['LK-HC-102'] }, store: 'never-reached' },
    ],
  };
  const { areasOf } = reader();
  t.same(await chooseSupplier(orderAt('hc101'), rules, 'WH-CENTRAL', areasOf), {
    store: 'LK-WH-301',
    by: 'rule "Mberewa by district code"',
  });
  t.same(
    await chooseSupplier(orderAt('hc102'), rules, 'WH-CENTRAL', areasOf),
    {
      store: 'LK-WH-301',
      by: 'rule "Mberewa by district code"',
    },
    'an earlier rule wins over a later one that also holds',
  );
  t.same(
    await chooseSupplier(orderAt('hc104'), rules, 'WH-CENTRAL', areasOf),
    {
      store: 'LK-WH-302',
      by: 'rule "the south by region name"',
    },
    'an area two levels up, by its name',
  );
  t.same(
    await chooseSupplier(orderAt('hc101', 'FP'), rules, 'WH-CENTRAL', areasOf),
    {
      store: 'WH-CENTRAL',
      by: 'rule "family planning from the central store"',
    },
    'by program',
  );
  const byId: SupplyingStores = {
    rules: [{ name: 'north by uid', when: { area: ['ouNorth'], facility: ['hc104', 'hc101'] }, store: 'N' }],
  };
  t.same(await chooseSupplier(orderAt('hc101'), byId, undefined, areasOf), { store: 'N', by: 'rule "north by uid"' });
  t.match(
    await chooseSupplier(orderAt('hc104'), byId, undefined, areasOf),
    { held: 'no supplying-store rule matched ("north by uid") and msupply.supplierCode is not set' },
    'every condition must hold: the facility is listed but not in the area',
  );
  t.same(await chooseSupplier(orderAt('hc104'), { rules: [] }, 'WH-CENTRAL', areasOf), {
    store: 'WH-CENTRAL',
    by: 'msupply.supplierCode',
  });
  t.same(await chooseSupplier(orderAt('hc104'), { default: 'LK-WH-302' }, 'WH-CENTRAL', areasOf), {
    store: 'LK-WH-302',
    by: 'the supplyingStores default',
  });
  t.same(
    await chooseSupplier(orderAt('hc104'), { ...byId, default: null }, 'WH-CENTRAL', areasOf),
    { held: 'no supplying-store rule matched ("north by uid") and routing.json supplyingStores has no default' },
    'a null default holds, even with msupply.supplierCode set',
  );
  t.same(await chooseSupplier(orderAt('hc104'), undefined, undefined, areasOf), {
    held: 'no supplying-store rule applies and msupply.supplierCode is not set',
  });
});

t.test('fromCrosswalk: after the rules, the nearest enclosing area linked to an Open mSupply store', async (t) => {
  const { areasOf } = reader();
  const linked = async (areaId: string) => ({ ouNorth: 'LK-WH-301', LKL: 'WH-CENTRAL' })[areaId];
  const rules: SupplyingStores = {
    rules: [{ name: 'Kasito by code', when: { facility: ['LK-HC-102'] }, store: 'KASITO' }],
    fromCrosswalk: true,
  };
  t.same(
    await chooseSupplier(orderAt('hc101'), rules, 'FALLBACK', areasOf, linked),
    {
      store: 'LK-WH-301',
      by: 'the crosswalk (Northern Highlands Region is Open mSupply store LK-WH-301)',
    },
    'the district is not linked, its region is: the nearest linked area',
  );
  t.same(
    await chooseSupplier(orderAt('hc102'), rules, 'FALLBACK', areasOf, linked),
    {
      store: 'KASITO',
      by: 'rule "Kasito by code"',
    },
    'a rule comes first',
  );
  t.same(
    await chooseSupplier(orderAt('hc101'), { ...rules, fromCrosswalk: false }, 'FALLBACK', areasOf, linked),
    { store: 'FALLBACK', by: 'msupply.supplierCode' },
    'the crosswalk only when asked for',
  );
  t.same(
    await chooseSupplier(orderAt('hc104'), rules, 'FALLBACK', areasOf, async () => undefined),
    {
      store: 'FALLBACK',
      by: 'msupply.supplierCode',
    },
    'no linked area: the default',
  );
});

t.test('areas are walked up partOf, each org unit read once a run', async (t) => {
  const { reads, areasOf } = reader();
  t.same(
    (await areasOf({ id: 'hc101' })).map((a) => a.id),
    ['ouMbr', 'ouNorth', 'LKL'],
    'nearest first',
  );
  t.same(
    (await areasOf({ id: 'hc102' })).map((a) => a.id),
    ['ouMbr', 'ouNorth', 'LKL'],
  );
  t.same(reads, ['hc101', 'ouMbr', 'ouNorth', 'LKL', 'hc102'], 'the shared district and region read once');
  t.same(await areasOf({ identifier: { system: CODE, value: 'LK-HC-101' } }), [], 'no id: no areas');
  const cyclic = areaWalker(async (id) => ({
    id,
    name: id,
    status: 'active',
    kind: 'area',
    identifiers: [],
    partOf: id === 'a' ? 'b' : 'a',
  }));
  t.equal((await cyclic({ id: 'a' })).length, 16, 'a broken hierarchy with a cycle stops');
});

t.test('the stores the shipments phase reads: every rule store and the default in use', async (t) => {
  const rules = {
    rules: [
      { name: 'x', when: { area: ['A'] }, store: 'S1' },
      { name: 'y', when: { area: ['B'] }, store: 'S1' },
    ],
  };
  t.same(storesNamed(rules, 'WH'), ['S1', 'WH']);
  t.same(storesNamed({ ...rules, default: 'S2' }, 'WH'), ['S1', 'S2'], 'a default replaces msupply.supplierCode');
  t.same(storesNamed({ ...rules, default: null }, 'WH'), ['S1'], 'no default: msupply.supplierCode is not used');
  t.same(storesNamed(undefined, undefined), []);
});

t.test('routing.json supplyingStores is checked by its schema', async (t) => {
  const ok = {
    flows: {},
    supplyingStores: { rules: [{ name: 'n', when: { area: ['LKL-N'] }, store: 'LK-WH-301' }], default: null },
  };
  t.same(problemsOf(ROUTING_FILE, ok), []);
  t.match(problemsOf(ROUTING_FILE, { flows: {}, supplyingStores: { rules: [{ name: 'n', when: { area: ['X'] } }] } }), [
    { path: '/supplyingStores/rules/0', reason: /must have required property 'store'/ },
  ]);
  t.match(
    problemsOf(ROUTING_FILE, {
      flows: {},
      supplyingStores: { rules: [{ name: 'n', when: { district: ['X'] }, store: 'S' }] },
    }),
    [{ path: '/supplyingStores/rules/0/when', reason: /additional properties \(district\)/ }],
  );
  t.match(
    problemsOf(ROUTING_FILE, { flows: {}, supplyingStores: { rules: [{ name: 'n', when: {}, store: 'S' }] } }),
    [{ path: '/supplyingStores/rules/0/when', reason: /fewer than 1 properties/ }],
    'a rule that would match everything is a default, not a rule',
  );
});

t.test('routing.json supplyingStores with two rules of one name is refused at load, naming both', async (t) => {
  const rule = (name: string, area: string, store: string) => ({ name, when: { area: [area] }, store });
  const file = {
    flows: { orders: { default: 'any', rules: [{ name: 'north', when: { program: ['P'] }, system: 'msupply' }] } },
    supplyingStores: {
      rules: [rule('north', 'LKL-N', 'LK-WH-301'), rule('south', 'LKL-S', 'WH-CENTRAL'), rule('north', 'LKL-E', 'X')],
    },
  };
  // a flow rule may share a store rule's name: each list names its own rules
  t.same(problemsOf(ROUTING_FILE, file), [
    { path: '/supplyingStores/rules/2/name', reason: 'repeats the rule name "north" of /supplyingStores/rules/0' },
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stores-'));
  writeFileSync(path.join(dir, 'routing.json'), JSON.stringify(file));
  const err = (() => {
    try {
      loadMapping(ROUTING_FILE, dir);
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof MappingError, 'start-up stops on the file');
  t.match(err, {
    file: path.join(dir, 'routing.json'),
    jsonPath: '/supplyingStores/rules/2/name',
    message: /routing\.json: \/supplyingStores\/rules\/2\/name repeats the rule name "north"/,
  });
  file.supplyingStores.rules[2].name = 'east';
  t.same(problemsOf(ROUTING_FILE, file), [], 'renamed, the file loads');
});
