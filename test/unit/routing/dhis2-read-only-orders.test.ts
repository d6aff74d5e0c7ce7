import t from 'tap';
import type { Order } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import type { Connector } from '../../../src/routing/ports.js';
import type { RoutingRules } from '../../../src/routing/rules.js';
import { openStore } from '../../../src/store/index.js';
import { fhirJson, testApp } from '../../support/app.js';
import { GTIN, supplyRequest, transaction } from '../../support/samples.js';

/**
 * An order capability that only reads (issue 11: DHIS2 RTS requisitions are raised on the
 * facility's device and read as SupplyRequests) over the real routing, outbox and store: routing
 * takes it as no writer; a write of one of its orders, a write routed to it, or any write when it
 * is the only order system, is a 422 naming the system and why, and nothing reaches the outbox or
 * another system. The CapabilityStatement then offers SupplyRequest read only.
 */
const RTS = 'https://rts.example.org/event';
const REASON = 'its orders are raised in DHIS2 RTS (Real-Time Stock) on the facility device';

const rtsOrder: Order = {
  id: 'Ev0000000A1',
  orderNumber: { system: RTS, value: 'Ev0000000A1' },
  status: 'active',
  priority: 'routine',
  facility: { id: 'fac-E' },
  authoredOn: '2026-11-20T08:00:00Z',
  lines: [
    {
      lineId: 'Ev0000000A1-line',
      product: { system: GTIN, code: '00012345600012' },
      quantity: { value: 30, unit: 'dispensing-unit' },
    },
  ],
  lastUpdated: '2026-11-20T09:00:00Z',
};

function readOnlyDhis2(): { connector: Connector; submitted: Order[] } {
  const submitted: Order[] = [];
  const connector: Connector = {
    system: 'dhis2',
    orders: {
      get: async (id) => (id === rtsOrder.id || id === rtsOrder.lines[0].lineId ? rtsOrder : undefined),
      search: async () => ({ items: [rtsOrder] }),
      submit: async (o) => {
        submitted.push(o);
        throw new Error('a read-only capability was asked to submit');
      },
      readOnly: { reason: REASON, holds: (o) => o.orderNumber.system === RTS },
    },
  };
  return { connector, submitted };
}

function lmis(): { connector: Connector; submitted: Order[] } {
  const submitted: Order[] = [];
  return {
    submitted,
    connector: {
      system: 'openlmis',
      orders: {
        get: async () => undefined,
        search: async () => ({ items: [] }),
        submit: async (o) => {
          submitted.push(o);
          return { system: 'openlmis', ids: { requisition: `req-${submitted.length}` } };
        },
      },
    },
  };
}

const RULES: RoutingRules = {
  flows: {
    orders: {
      rules: [{ name: 'facility R to DHIS2', when: { facility: ['fac-R'] }, system: 'dhis2' }],
      default: 'any',
    },
  },
};

async function setup(t: { teardown(fn: () => Promise<void>): void }, connectors: Connector[]) {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 2_000, pollMs: 20, backoff: { baseMs: 10, capMs: 20, maxAttempts: 2 } },
  });
  const services = createRoutingServices({ connectors, outbox, store, routing: RULES });
  const { app } = await testApp({ services });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
    await store.close();
  });
  return { app, store };
}

const supplyRequestOf = (json: { rest: { resource: { type: string; interaction: { code: string }[] }[] }[] }) =>
  json.rest[0].resource.find((r) => r.type === 'SupplyRequest')!;

t.test(
  'only a read-only order system: reads served, every write a 422 naming it, SupplyRequest read only',
  async (t) => {
    const dhis2 = readOnlyDhis2();
    const { app, store } = await setup(t, [dhis2.connector]);
    const read = await app.inject({ method: 'GET', url: '/fhir/SupplyRequest/Ev0000000A1-line', headers: fhirJson });
    t.equal(read.statusCode, 200, 'its orders read as SupplyRequests');
    t.equal(read.json().identifier[0].value, 'Ev0000000A1');

    const post = await app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: fhirJson,
      payload: supplyRequest({ order: 'NEW-1', facility: 'fac-1' }),
    });
    t.equal(post.statusCode, 422, post.body);
    t.match(post.json().issue[0], {
      code: 'business-rule',
      diagnostics:
        /no configured system takes orders writes: dhis2 serves them read only \(its orders are raised in DHIS2 RTS/,
    });
    t.match(post.json().issue[0].diagnostics, /configure openlmis or msupply or openmrs/);

    const bundle = await app.inject({
      method: 'POST',
      url: '/fhir',
      headers: fhirJson,
      payload: transaction([
        { method: 'POST', url: 'SupplyRequest', resource: supplyRequest({ order: 'NEW-2', facility: 'fac-1' }) },
      ]),
    });
    t.equal(bundle.statusCode, 422, 'a transaction too');
    t.equal(dhis2.submitted.length, 0, 'the read-only capability is never asked to submit');
    t.same(await store.listJobs({}), [], 'nothing reached the outbox');

    const meta = await app.inject({ method: 'GET', url: '/fhir/metadata', headers: fhirJson });
    const sr = supplyRequestOf(meta.json());
    t.same(
      sr.interaction.map((i) => i.code),
      ['read', 'vread', 'search-type'],
      'the CapabilityStatement offers SupplyRequest read only',
    );
    t.match(sr, { updateCreate: false, conditionalCreate: false, documentation: /Read only here: dhis2: its orders/ });
  },
);

t.test('beside a writer: its own orders and writes routed to it are refused, others go to the writer', async (t) => {
  const dhis2 = readOnlyDhis2();
  const writer = lmis();
  const { app, store } = await setup(t, [dhis2.connector, writer.connector]);

  const ordinary = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'NEW-3', facility: 'fac-1' }),
  });
  t.equal(ordinary.statusCode, 201, "default 'any' skips the read-only system, though it is configured first");
  t.same(
    writer.submitted.map((o) => o.orderNumber.value),
    ['NEW-3'],
  );

  const routed = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'NEW-4', facility: 'fac-R' }),
  });
  t.equal(routed.statusCode, 422, routed.body);
  t.match(routed.json().issue[0], {
    code: 'business-rule',
    diagnostics:
      /rule "facility R to DHIS2" routes it to dhis2, which serves orders read only: its orders are raised in DHIS2 RTS/,
    expression: ['SupplyRequest.deliverTo'],
  });

  // an RTS requisition read back and sent again with a changed quantity: an amendment of dhis2's order
  const current = (
    await app.inject({ method: 'GET', url: '/fhir/SupplyRequest/Ev0000000A1-line', headers: fhirJson })
  ).json();
  const changed = await app.inject({
    method: 'PUT',
    url: '/fhir/SupplyRequest/Ev0000000A1-line',
    headers: fhirJson,
    payload: { ...current, quantity: { ...current.quantity, value: 45 }, meta: undefined },
  });
  t.equal(changed.statusCode, 422, changed.body);
  t.match(
    changed.json().issue[0].diagnostics,
    /^dhis2 holds this, and the mediator only reads orders there: its orders/,
  );
  const cancelled = await app.inject({
    method: 'DELETE',
    url: '/fhir/SupplyRequest/Ev0000000A1-line',
    headers: fhirJson,
  });
  t.equal(cancelled.statusCode, 422, 'a cancellation too');
  t.equal(writer.submitted.length, 1, 'none of them went to the writing system instead');
  t.equal((await store.listJobs({})).length, 1, 'only the ordinary order is in the outbox');

  const meta = await app.inject({ method: 'GET', url: '/fhir/metadata', headers: fhirJson });
  t.same(
    supplyRequestOf(meta.json()).interaction.map((i) => i.code),
    ['read', 'vread', 'search-type', 'create', 'update', 'patch', 'delete'],
    'with a writer configured SupplyRequest keeps every interaction',
  );
});
