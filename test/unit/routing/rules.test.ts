/**
 * Routing rules as data (issue 10, DESIGN §3 Routing) over the real outbox and store, with two
 * recording connectors: the system of record per facility by facility, crosswalk link, facility
 * type and program; a facility no configured system serves is a 422 naming it and the rule;
 * a stock report fans out to a secondary target as its own job under its own key, and a
 * secondary failure shows as that job, never in (or instead of) the primary's answer.
 */
import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import t from 'tap';
import { BusinessRuleError } from '../../../src/domain/errors.js';
import type { Order, StockReport } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { ROUTING_FILE, resolveTargets, unknownSystems, type RoutingRules } from '../../../src/routing/rules.js';
import { loadMapping, MappingError, problemsOf, shippedMappingsDir } from '../../../src/config/mappings.js';
import { openStore } from '../../../src/store/index.js';
import type { Connector, WriteResult } from '../../../src/routing/ports.js';
import { fhirJson, testApp } from '../../support/app.js';
import { inventoryReport, supplyRequest, transaction } from '../../support/samples.js';

/** A system that records what it was sent; `refuseStock` makes its stock writes fail for good. */
function recorder(system: string, types: Record<string, string[]> = {}) {
  const orders: Order[] = [];
  const stock: StockReport[] = [];
  const state = { refuseStock: false };
  const result = (kind: string, n: number): WriteResult => ({ system, ids: { [kind]: `${system}-${kind}-${n}` } });
  const connector: Connector = {
    system,
    facilities: {
      get: async (id) =>
        types[id]
          ? {
              id,
              identifiers: [],
              name: id,
              status: 'active',
              kind: 'facility',
              types: types[id].map((code) => ({ code })),
            }
          : undefined,
      search: async () => ({ items: [] }),
    },
    orders: {
      get: async () => undefined,
      search: async () => ({ items: [] }),
      submit: async (o) => {
        orders.push(o);
        return result('order', orders.length);
      },
    },
    stock: {
      search: async () => ({ items: [] }),
      report: async (r) => {
        if (state.refuseStock) throw new BusinessRuleError(`${system} refuses this report`, 'InventoryReport');
        stock.push(r);
        return result('event', stock.length);
      },
    },
  };
  return { connector, orders, stock, state };
}

const RULES: RoutingRules = {
  flows: {
    orders: {
      rules: [
        { name: 'facility A keeps OpenLMIS', when: { facility: ['fac-A'] }, system: 'openlmis' },
        { name: 'linked in the second system', when: { linkedIn: 'test' }, system: 'test' },
        { name: 'health centres', when: { facilityType: ['CHC'] }, system: 'test' },
        { name: 'immunisation', when: { program: ['EPI'] }, system: 'test' },
        { name: 'facility E to DHIS2', when: { facility: ['fac-E'] }, system: 'dhis2' },
      ],
      default: null,
    },
    stock: { default: 'openlmis', secondary: [{ system: 'test' }, { system: 'dhis2' }] },
  },
};

async function setup(t: { teardown(fn: () => Promise<void>): void }) {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 2_000, pollMs: 20, backoff: { baseMs: 10, capMs: 20, maxAttempts: 2 } },
  });
  const lmis = recorder('openlmis', { 'fac-C': ['CHC'], 'fac-D': ['DH'] });
  const second = recorder('test');
  const services = createRoutingServices({
    connectors: [lmis.connector, second.connector],
    outbox,
    store,
    routing: RULES,
  });
  const { app } = await testApp({ services });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
    await store.close();
  });
  await store.upsertCrosswalk({
    system: 'test',
    systemId: 'B-1',
    registryId: 'fac-B',
    state: 'manual-match',
    zone: 'auto',
    reasons: [],
    suggestions: [],
    decidedBy: 'reviewer',
    decidedAt: '2026-12-01T00:00:00Z',
  });
  return { app, outbox, store, lmis, second };
}

const order = (facility: string, n: string, program = 'FP') => {
  const r = supplyRequest({ order: n, facility });
  r.category = { coding: [{ code: program }] };
  return r;
};

t.test('orders go to the system of record their facility routes to', async (t) => {
  const { app, lmis, second } = await setup(t);
  const post = (r: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/fhir/SupplyRequest', headers: fhirJson, payload: r });
  t.equal((await post(order('fac-A', 'O-A'))).statusCode, 201, 'by facility');
  t.equal((await post(order('fac-B', 'O-B'))).statusCode, 201, 'by crosswalk link');
  t.equal((await post(order('fac-C', 'O-C'))).statusCode, 201, 'by facility type (looked up from the facility system)');
  t.equal((await post(order('fac-D', 'O-D', 'EPI'))).statusCode, 201, 'by program');
  t.same(
    lmis.orders.map((o) => o.orderNumber.value),
    ['O-A'],
  );
  t.same(
    second.orders.map((o) => o.orderNumber.value),
    ['O-B', 'O-C', 'O-D'],
  );
});

t.test('a facility no configured system serves is a 422 naming the facility and the rule', async (t) => {
  const { app, lmis, second } = await setup(t);
  const none = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: order('fac-D', 'O-X'),
  });
  t.equal(none.statusCode, 422, none.body);
  t.match(none.json().issue[0], {
    code: 'business-rule',
    diagnostics: /Location\/fac-D.*no rule matched \("facility A keeps OpenLMIS", .*"immunisation".*no default/,
    expression: ['SupplyRequest.deliverTo'],
  });
  const off = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: order('fac-E', 'O-E'),
  });
  t.equal(off.statusCode, 422);
  t.match(
    off.json().issue[0].diagnostics,
    /Location\/fac-E.*rule "facility E to DHIS2" routes it to dhis2, which is not configured/,
  );
  t.equal(lmis.orders.length + second.orders.length, 0, 'nothing written');
});

t.test('a stock report fans out: one job per target, own keys, the answer is the primary one', async (t) => {
  const { app, outbox, store, lmis, second } = await setup(t);
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/R5/InventoryReport',
    headers: fhirJson,
    payload: inventoryReport(),
  });
  t.equal(res.statusCode, 201, res.body);
  await outbox.idle();
  const key = 'stock|https://app.example.org/counts|CNT-1';
  const primary = await store.findJobsByKey(key);
  const secondary = await store.findJobsByKey(`${key}|test`);
  t.same(
    primary.map((j) => [j.system, j.status]),
    [['openlmis', 'done']],
  );
  t.same(
    secondary.map((j) => [j.system, j.status]),
    [['test', 'done']],
  );
  t.equal(
    (await store.findJobsByKey(`${key}|dhis2`)).length,
    0,
    'a secondary system that is not configured gets no job',
  );
  t.equal(lmis.stock.length, 1);
  t.equal(second.stock.length, 1);
  const again = await app.inject({
    method: 'POST',
    url: '/fhir/R5/InventoryReport',
    headers: fhirJson,
    payload: inventoryReport(),
  });
  t.equal(again.statusCode, 200, 'the same report again is a duplicate');
  await outbox.idle();
  t.same([lmis.stock.length, second.stock.length], [1, 1], 'each target applied exactly once');
});

t.test('a secondary refusal shows as its job, the write stays answered by its system of record', async (t) => {
  const { app, outbox, store, lmis, second } = await setup(t);
  second.state.refuseStock = true;
  const report = inventoryReport();
  report.identifier[0].value = 'CNT-2';
  const res = await app.inject({ method: 'POST', url: '/fhir/R5/InventoryReport', headers: fhirJson, payload: report });
  t.equal(res.statusCode, 201, 'the primary answer, not the secondary refusal');
  await outbox.idle();
  const [job] = await store.findJobsByKey('stock|https://app.example.org/counts|CNT-2|test');
  t.equal(job.status, 'rejected');
  t.match(JSON.stringify(job.error), /test refuses this report/, 'with the refusal kept for the admin API');
  t.equal(lmis.stock.length, 1);
});

t.test('a transaction Bundle: each entry answered by its own system of record, fan-out included', async (t) => {
  const { app, outbox, store, lmis, second } = await setup(t);
  const report = inventoryReport();
  report.identifier[0].value = 'CNT-T';
  const b = supplyRequest({ order: 'O-TB', facility: 'fac-B', r5: true });
  // the fanned-out report first: its two jobs must not shift the order's answer onto the secondary job
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/R5',
    headers: fhirJson,
    payload: transaction([
      { method: 'POST', url: 'InventoryReport', resource: report },
      { method: 'POST', url: 'SupplyRequest', resource: b },
    ]),
  });
  t.equal(res.statusCode, 200, res.body);
  t.same(
    res.json().entry.map((e: any) => e.response.status.slice(0, 3)),
    ['201', '201'],
  );
  t.match(res.json().entry[1].response.location, /\/SupplyRequest\//);
  await outbox.idle();
  t.same([lmis.stock.length, second.stock.length, lmis.orders.length, second.orders.length], [1, 1, 0, 1]);
  t.equal((await store.findJobsByKey('stock|https://app.example.org/counts|CNT-T|test'))[0]?.status, 'done');
});

t.test('routing.json is schema-checked with file, path and reason', async (t) => {
  t.same(problemsOf(ROUTING_FILE, loadMapping(ROUTING_FILE, shippedMappingsDir())), [], 'the shipped file is valid');
  t.match(problemsOf(ROUTING_FILE, { flows: { orders: { rules: [{ name: 'x', when: {}, system: 'openlmis' }] } } }), [
    { path: '/flows/orders' },
  ]);
  const dup = {
    flows: {
      orders: {
        default: 'any',
        rules: [
          { name: 'a', when: { program: ['X'] }, system: 's' },
          { name: 'a', when: { program: ['Y'] }, system: 's' },
        ],
      },
    },
  };
  t.same(problemsOf(ROUTING_FILE, dup), [
    { path: '/flows/orders/rules/1/name', reason: 'repeats the rule name "a" of /flows/orders/rules/0' },
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'routing-'));
  writeFileSync(path.join(dir, 'routing.json'), JSON.stringify({ flows: { stock: { default: 'Open LMIS' } } }));
  const err = (() => {
    try {
      loadMapping(ROUTING_FILE, dir);
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof MappingError, 'a bad routing.json stops the loader');
  t.match(err, { file: path.join(dir, 'routing.json'), jsonPath: '/flows/stock/default', reason: /must/ });
});

t.test('unknownSystems: every rule, default and secondary target naming a system no connector serves', async (t) => {
  const known = ['openlmis', 'msupply', 'dhis2', 'openmrs'];
  const rules: RoutingRules = {
    flows: {
      orders: {
        rules: [
          { name: 'typo', when: { facility: ['a'] }, system: 'openlmiss' },
          { name: 'fine', when: { linkedIn: 'mfl-csv' }, system: 'msupply' },
        ],
        default: 'any',
      },
      stock: { default: null, secondary: [{ system: 'dhis2' }, { system: 'dhis' }] },
      facilities: { default: 'opnmrs' },
    },
  };
  t.same(
    unknownSystems(rules, known).map((p) => p.path),
    ['/flows/orders/rules/0/system', '/flows/stock/secondary/1/system', '/flows/facilities/default'],
    'each misnamed system, by path; "any", null and linkedIn (a crosswalk system) are left alone',
  );
  t.match(unknownSystems(rules, known)[0].reason, /"openlmiss", which no connector serves \(openlmis, msupply/);
  t.same(unknownSystems(rules, [...known, 'openlmiss', 'dhis', 'opnmrs']), [], 'a registered system is known');
  const shipped = loadMapping<RoutingRules>(ROUTING_FILE as never, shippedMappingsDir());
  t.same(unknownSystems(shipped, known), [], 'the shipped routing.json names only built-in systems');
});

t.test('the shipped routing.json sends a facility to the system the crosswalk links it in', async (t) => {
  const shipped = loadMapping<RoutingRules>(ROUTING_FILE as never, shippedMappingsDir());
  const configured = ['openlmis', 'msupply', 'openmrs', 'dhis2'];
  const subject = (linked: string[]) => ({
    facility: { id: 'registry-facility-1' },
    facts: { linkedSystems: async () => linked, types: async () => [] },
  });
  for (const flow of ['orders', 'deliveries', 'stock'] as const) {
    const writers = flow === 'orders' ? configured.filter((s) => s !== 'dhis2') : configured;
    const route = (linked: string[]) =>
      resolveTargets(flow, shipped.flows[flow], subject(linked), writers, ['facility']);
    for (const [system, name] of [
      ['openlmis', 'linked in OpenLMIS'],
      ['msupply', 'linked in Open mSupply'],
      ['openmrs', 'linked in OpenMRS'],
    ]) {
      const targets = await route([system]);
      t.equal(targets.primary, system, `${flow}: a facility linked in ${system} alone goes there`);
      t.match(targets.chosenBy, `by rule "${name}"`);
    }
    t.equal((await route(['dhis2', 'openmrs'])).primary, 'openmrs', `${flow}: not to the first configured system`);
    t.equal((await route(['openmrs', 'openlmis'])).primary, 'openlmis', `${flow}: OpenLMIS's link goes first`);
  }
});

t.test('the shipped routing.json sends deliveries and stock of a facility linked in DHIS2 alone there', async (t) => {
  const shipped = loadMapping<RoutingRules>(ROUTING_FILE as never, shippedMappingsDir());
  const configured = ['openlmis', 'msupply', 'openmrs', 'dhis2'];
  const subject = (linked: string[]) => ({
    facility: { id: 'registry-facility-1' },
    facts: { linkedSystems: async () => linked, types: async () => [] },
  });
  // DHIS2 serves deliveries (its consignment program) and stock (data values), not order writes
  for (const flow of ['deliveries', 'stock'] as const) {
    const route = (linked: string[]) =>
      resolveTargets(flow, shipped.flows[flow], subject(linked), configured, ['facility']);
    const alone = await route(['dhis2']);
    t.equal(alone.primary, 'dhis2', `${flow}: not to the first configured system, which does not hold it`);
    t.match(alone.chosenBy, 'by rule "linked in DHIS2"');
    for (const other of ['openlmis', 'msupply', 'openmrs'])
      t.equal((await route(['dhis2', other])).primary, other, `${flow}: ${other}'s link goes before DHIS2's`);
  }
  const orders = await resolveTargets(
    'orders',
    shipped.flows.orders,
    subject(['dhis2']),
    configured.filter((s) => s !== 'dhis2'),
    ['facility'],
  );
  t.notMatch(orders.chosenBy, 'DHIS2', 'orders: DHIS2 takes no order writes, so no rule sends them there');
});
