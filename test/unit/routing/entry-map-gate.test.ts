/**
 * A Bundle's entry map (store v24) is read only to build its OpenHIM transaction update, so it is
 * written only while an OpenHIM API is configured (RoutingDeps.recordsEntries, main.ts): a
 * mediator behind an OpenHIM it does not report to (or a client setting the header itself) gains
 * no rows nothing will ever read or prune. Transaction and batch Bundles alike.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { openStore } from '../../../src/store/index.js';
import { fhirJson, testApp } from '../../support/app.js';
import { memoryLmisOrders } from '../../support/memory-lmis-orders.js';
import { supplyRequest, transaction } from '../../support/samples.js';

async function post(recordsEntries: boolean, t: { teardown(fn: () => Promise<void>): void }) {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 2_000, pollMs: 20, backoff: { baseMs: 10, capMs: 20, maxAttempts: 5 } },
  });
  const lmis = memoryLmisOrders();
  const services = createRoutingServices({
    connectors: [lmis.connector],
    outbox,
    store,
    recordsEntries: () => recordsEntries,
  });
  const { app } = await testApp({ services });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
    await store.close();
  });
  const lines = (order: string) =>
    ['00000000000017', '00000000000024'].map((gtin, i) => ({
      method: 'POST',
      url: 'SupplyRequest',
      resource: supplyRequest({ order, gtin, qty: 10 + i }),
    }));
  const send = (tx: string, payload: object) =>
    app.inject({ method: 'POST', url: '/fhir', headers: { ...fhirJson, 'x-openhim-transactionid': tx }, payload });
  const asTransaction = await send('65f0c0ffee00000000000b01', transaction(lines('ORD-T')));
  const asBatch = await send('65f0c0ffee00000000000b02', { ...transaction(lines('ORD-B')), type: 'batch' });
  return {
    statuses: [asTransaction.statusCode, asBatch.statusCode],
    submits: lmis.submits(),
    transaction: (await store.entriesOfTransaction('65f0c0ffee00000000000b01')).length,
    batch: (await store.entriesOfTransaction('65f0c0ffee00000000000b02')).length,
  };
}

t.test('with an OpenHIM API configured, each entry of a Bundle is mapped', async (t) => {
  t.same(await post(true, t), { statuses: [200, 200], submits: 2, transaction: 2, batch: 2 });
});

t.test('without one, the Bundles are answered alike and no entry map is written', async (t) => {
  t.same(await post(false, t), { statuses: [200, 200], submits: 2, transaction: 0, batch: 0 });
});

t.test('the mediator without openhim.apiUrl writes no entry map for a batch sent through OpenHIM', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'entry-map-gate-'));
  const mediator = await startMediator(
    loadSettings({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dir, AUTH_MODE: 'off', LOG_LEVEL: 'silent' }),
  );
  t.teardown(async () => {
    await mediator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const sent = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [{ request: { method: 'GET', url: 'Location/a' } }, { request: { method: 'GET', url: 'Location/b' } }],
  };
  const res = await fetch(`${mediator.url}/fhir`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', 'x-openhim-transactionid': '65f0c0ffee00000000000b0a' },
    body: JSON.stringify(sent),
  });
  t.equal(res.status, 200, 'the batch is answered');
  // through OpenHIM the answer is its envelope, the Bundle in response.body
  const envelope = (await res.json()) as { response: { body: string } };
  const bundle = JSON.parse(envelope.response.body);
  t.equal(bundle.entry.length, 2, 'each entry answered');
  t.same(
    await mediator.store.entriesOfTransaction('65f0c0ffee00000000000b0a'),
    [],
    'nothing will ever read a map: none written',
  );
});
