/**
 * The FHIR write path over the real outbox and store: a fake connector stands for the upstream
 * so each failure can be scripted. Shows: durable acceptance, deduplication on the order number,
 * 202 on transient failure with the queued state readable, 4xx passthrough, all-or-nothing Bundles.
 */
import t from 'tap';
import { BusinessRuleError, UpstreamError } from '../../../src/domain/errors.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { openStore } from '../../../src/store/index.js';
import { fhirJson, testApp } from '../../support/app.js';
import { memoryLmisOrders } from '../../support/memory-lmis-orders.js';
import { supplyRequest, transaction } from '../../support/samples.js';

/** An upstream holding submitted orders; `next` scripts the outcome of the coming submits. */
function fakeLmis() {
  const next: (() => never | void)[] = [];
  return { ...memoryLmisOrders(() => next.shift()?.()), next };
}

async function setup(t: { teardown(fn: () => Promise<void>): void }) {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 2_000, pollMs: 20, backoff: { baseMs: 10, capMs: 20, maxAttempts: 5 } },
  });
  const lmis = fakeLmis();
  const services = createRoutingServices({ connectors: [lmis.connector], outbox, store });
  const { app } = await testApp({ services });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
    await store.close();
  });
  return { app, outbox, store, lmis };
}

const threeLines = (order: string, qty = 10) =>
  transaction(
    ['00000000000017', '00000000000024', '00000000000031'].map((gtin, i) => ({
      method: 'POST',
      url: 'SupplyRequest',
      resource: supplyRequest({ order, gtin, qty: qty + i }),
    })),
  );

t.test('a transaction Bundle is one order, written once, and reads back', async (t) => {
  const { app, lmis } = await setup(t);
  const first = await app.inject({ method: 'POST', url: '/fhir', headers: fhirJson, payload: threeLines('ORD-A') });
  t.equal(first.statusCode, 200, first.body);
  const entries = first.json().entry;
  t.same(
    entries.map((e: any) => e.response.status.slice(0, 3)),
    ['201', '201', '201'],
  );
  t.equal(lmis.submits(), 1, 'three lines, one upstream order');
  t.equal([...lmis.orders.values()][0].lines.length, 3);

  const again = await app.inject({ method: 'POST', url: '/fhir', headers: fhirJson, payload: threeLines('ORD-A') });
  t.same(
    again.json().entry.map((e: any) => e.response.status.slice(0, 3)),
    ['200', '200', '200'],
    'the same order again is answered from the first write',
  );
  t.equal(lmis.submits(), 1, 'and never reaches the upstream twice');

  const id = entries[1].response.location.split('/SupplyRequest/')[1].split('/')[0];
  const read = await app.inject({ method: 'GET', url: `/fhir/SupplyRequest/${id}`, headers: fhirJson });
  t.equal(read.statusCode, 200);
  t.equal(read.json().status, 'active', 'read live from the upstream through the link');
  t.equal(read.json().quantity.value, 11);

  const changed = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: fhirJson,
    payload: threeLines('ORD-A', 50),
  });
  t.equal(changed.statusCode, 409, 'another payload under a used order number is a conflict');
  t.match(changed.json().issue[0].diagnostics, /ORD-A.*already used/);
  t.equal(lmis.submits(), 1);
});

t.test('a transient failure answers 202; the queued order reads as draft, then as delivered', async (t) => {
  const { app, outbox, lmis } = await setup(t);
  lmis.next.push(() => {
    throw new UpstreamError({
      system: 'openlmis',
      transient: true,
      diagnostics: 'OpenLMIS answered 503',
      upstreamStatus: 503,
    });
  });
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'ORD-B' }),
  });
  t.equal(res.statusCode, 202, res.body);
  t.match(res.json(), { resourceType: 'OperationOutcome' });
  t.match(JSON.stringify(res.json()), /503/);
  const id = res.headers.location!.toString().split('/SupplyRequest/')[1].split('/')[0];
  const queued = await app.inject({ method: 'GET', url: `/fhir/SupplyRequest/${id}`, headers: fhirJson });
  t.equal(queued.json().status, 'draft', 'not yet at the LMIS');
  const putBack = await app.inject({
    method: 'PUT',
    url: `/fhir/SupplyRequest/${id}`,
    headers: { ...fhirJson, 'if-match': queued.headers.etag as string },
    payload: queued.json(),
  });
  t.not(putBack.statusCode, 200, `a queued write is not "unchanged" at its system: ${putBack.statusCode}`);

  outbox.startWorker();
  for (let i = 0; i < 200 && lmis.orders.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await outbox.idle();
  const delivered = await app.inject({ method: 'GET', url: `/fhir/SupplyRequest/${id}`, headers: fhirJson });
  t.equal(delivered.json().status, 'active');
  t.equal(lmis.submits(), 2, 'one failed attempt, one delivery');
});

t.test("a permanent upstream refusal is the client's 4xx and leaves nothing behind", async (t) => {
  const { app, lmis } = await setup(t);
  lmis.next.push(() => {
    throw new BusinessRuleError(
      'Product 00000000000017 is not mapped to an OpenLMIS orderable',
      'SupplyRequest.itemCodeableConcept',
    );
  });
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'ORD-C', gtin: '00000000000017' }),
  });
  t.equal(res.statusCode, 422);
  t.match(res.json().issue[0], { diagnostics: /00000000000017/, expression: ['SupplyRequest.itemCodeableConcept'] });
  const search = await app.inject({ method: 'GET', url: '/fhir/SupplyRequest?identifier=ORD-C', headers: fhirJson });
  t.equal(search.json().total ?? search.json().entry?.length ?? 0, 0);
});

t.test('a transaction Bundle is accepted all together or not at all', async (t) => {
  const { app, lmis } = await setup(t);
  await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'ORD-D', qty: 5 }),
  });
  t.equal(lmis.submits(), 1);
  // a new order plus a changed ORD-D: the conflict must keep the new order out too
  const bundle = transaction([
    { method: 'POST', url: 'SupplyRequest', resource: supplyRequest({ order: 'ORD-E' }) },
    { method: 'POST', url: 'SupplyRequest', resource: supplyRequest({ order: 'ORD-D', qty: 6 }) },
  ]);
  const res = await app.inject({ method: 'POST', url: '/fhir', headers: fhirJson, payload: bundle });
  t.equal(res.statusCode, 409, res.body);
  t.equal(lmis.submits(), 1, 'ORD-E was not accepted either');
  const retry = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'ORD-E' }),
  });
  t.equal(retry.statusCode, 201, 'its order number is still free');
});

t.test(
  'a delivered write answers with the stored resource; a read-back that fails or hangs does not hold up or undo the 201',
  async (t) => {
    const { app, lmis } = await setup(t);
    const realGet = lmis.connector.orders!.get;
    lmis.connector.orders!.get = async (id) => {
      const stored = await realGet(id);
      return stored && { ...stored, authoredOn: '2026-01-02T03:04:05Z' };
    };
    const stored = await app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: fhirJson,
      payload: supplyRequest({ order: 'ORD-RB-1' }),
    });
    t.equal(stored.statusCode, 201, stored.body);
    t.equal(stored.json().authoredOn, '2026-01-02T03:04:05Z', 'the answer is what the upstream holds');
    const read = await app.inject({ method: 'GET', url: `/fhir/SupplyRequest/${stored.json().id}`, headers: fhirJson });
    t.equal(read.headers.etag, stored.headers.etag, 'and carries the ETag a read gives');

    lmis.connector.orders!.get = async () => {
      throw new UpstreamError({
        system: 'openlmis',
        transient: true,
        diagnostics: 'OpenLMIS answered 503',
        upstreamStatus: 503,
      });
    };
    const failedRead = await app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: fhirJson,
      payload: supplyRequest({ order: 'ORD-RB-2' }),
    });
    t.equal(failedRead.statusCode, 201, 'a failed read-back: still 201, with the written value');
    t.same(failedRead.json().identifier[0].value, 'ORD-RB-2');

    lmis.connector.orders!.get = async (id) => {
      const held = await realGet(id);
      return held && { ...held, lines: [] };
    };
    const lostLine = await app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: fhirJson,
      payload: supplyRequest({ order: 'ORD-RB-4' }),
    });
    t.equal(lostLine.statusCode, 201);
    t.equal(
      lostLine.json().identifier[0].value,
      'ORD-RB-4',
      'a read-back without the written line does not stand in for it',
    );
    t.match(
      lostLine.headers.location,
      new RegExp(`/SupplyRequest/${lostLine.json().id}/`),
      'the answer describes the written resource',
    );

    lmis.connector.orders!.get = () => new Promise(() => undefined);
    const hungRead = await app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: fhirJson,
      payload: supplyRequest({ order: 'ORD-RB-3' }),
    });
    t.equal(hungRead.statusCode, 201, 'a read-back that never answers: 201 once its wait is over');
    t.equal(lmis.submits(), 4, 'each order written once');
  },
);
