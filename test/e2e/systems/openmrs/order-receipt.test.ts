/**
 * OpenMRS orders end to end (issue 13 "Must show"): through the real mediator, an order posted as
 * SupplyRequests becomes one submitted requisition stock operation in the OpenMRS sandbox; when
 * the supplying store ships it (a transfer out), it reads as an in-progress SupplyDelivery based
 * on that order, and its confirmation completes the transfer exactly once, the stock arriving at
 * the facility.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ADMIN_PASSWORD, DRUGS, LOC, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import { loadSettings } from '../../../../src/config/load.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../../src/fhir/conventions.js';
import { startMediator } from '../../../../src/main.js';
import { until } from '../../../support/net.js';

const INBOUND = 'e2e-inbound-secret';
const AUTH = `Basic ${Buffer.from(`openhim:${INBOUND}`).toString('base64')}`;
const GTIN = 'https://www.gs1.org/gtin';
const ORDERS = 'https://app.example.org/orders';
const KILIMA_PARTY = 'e5d4c3b2-0003-4a1b-8c2d-3e4f50617283';

const line = (gtin: string, qty: number) => ({
  resourceType: 'SupplyRequest',
  status: 'active',
  priority: 'routine',
  identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'OMRS-ORD-1' }],
  itemCodeableConcept: { coding: [{ system: GTIN, code: gtin }] },
  quantity: { value: qty, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
  authoredOn: '2026-12-01T08:00:00Z',
  deliverTo: { reference: `Location/${LOC.kilima}` },
  deliverFrom: { reference: `Location/${LOC.mwangaza}` },
});

t.test('an order and its receipt round-trip as SupplyRequest and SupplyDelivery', async (t) => {
  const sb = await startOpenMrsSandbox();
  const dir = mkdtempSync(path.join(tmpdir(), 'openmrs-order-e2e-'));
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: INBOUND,
      OPENMRS_BASE_URL: sb.url,
      OPENMRS_USERNAME: 'admin',
      OPENMRS_PASSWORD: ADMIN_PASSWORD,
      OPENMRS_TIMEOUT_MS: '3000',
      OUTBOX_DEADLINE_MS: '4000',
      OUTBOX_SETTLE_MS: '100',
      OUTBOX_BACKOFF_BASE_MS: '50',
      OUTBOX_BACKOFF_CAP_MS: '200',
    } as NodeJS.ProcessEnv),
  );
  t.teardown(async () => {
    await mediator.stop();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const fhir = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${mediator.url}${url}`, {
      method,
      body: body ? JSON.stringify(body) : undefined,
      headers: { authorization: AUTH, 'content-type': 'application/fhir+json' },
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };
  const why = (r: { status: number; body?: any }) => r.body?.issue?.[0]?.diagnostics ?? `status ${r.status}`;
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [line('10860012300058', 200), line('10860012300072', 40)].map((r, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${i}`,
      resource: r,
      request: { method: 'POST', url: 'SupplyRequest' },
    })),
  };

  const posted = await fhir('POST', '/fhir', bundle);
  t.equal(posted.status, 200, why(posted));
  const requisitions = () => [...sb.stock.operations.values()].filter((o) => o.operationType === 'requisition');
  await until('the requisition submitted', async () => requisitions().find((o) => o.status === 'SUBMITTED'), 10_000);
  t.equal((await fhir('POST', '/fhir', bundle)).status, 200, 'the same order again');
  t.equal(requisitions().length, 1, 'one requisition');
  t.equal(sb.store.writes['stockoperation.submit.requisition'], 1, 'submitted once');
  const read = await fhir('GET', `/fhir/SupplyRequest?identifier=${encodeURIComponent(`${ORDERS}|OMRS-ORD-1`)}`);
  t.equal(read.status, 200, why(read));
  const postedIds = posted.body.entry.map((e: any) => /SupplyRequest\/([^/]+)/.exec(e.response.location)![1]).sort();
  t.same(read.body.entry.map((e: any) => e.resource.id).sort(), postedIds, 'read back with the posted ids');
  t.ok(read.body.entry.every((e: any) => e.resource.deliverFrom?.reference === `Location/${LOC.mwangaza}`));

  // the supplying store ships it (what its storekeeper would do in the O3 stock app)
  const transfer = sb.stock.fulfil(requisitions()[0].uuid);
  const search = await fhir(
    'GET',
    `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
  );
  t.equal(search.status, 200, why(search));
  t.equal(search.body.entry?.length, 1, 'one in-progress delivery');
  const delivery = search.body.entry[0].resource;
  t.match(JSON.stringify(delivery), /OMRS-ORD-1/, 'based on the order');
  delivery.status = 'completed';
  for (const item of delivery.suppliedItem)
    item.quantity = item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
  const confirmed = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, delivery);
  t.ok(confirmed.status < 300, why(confirmed));
  await until(
    'the transfer completed',
    async () => sb.stock.operations.get(transfer.uuid)!.status === 'COMPLETED',
    10_000,
  );
  const again = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, delivery);
  t.ok(again.status < 300, why(again));
  t.equal(sb.store.writes['stockoperation.complete.transferout'], 1, 'completed once');
  const amox = [...sb.stock.items.values()].find((i) => i.drugUuid === DRUGS.amoxicillin)!.uuid;
  t.equal(sb.stock.quantity(KILIMA_PARTY, amox), 200, 'the stock arrived at the facility');
});
