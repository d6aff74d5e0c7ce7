/**
 * The end-to-end rig for the OpenLMIS flows: the OpenLMIS sandbox, and the real mediator
 * (startMediator, embedded SQLite) configured against it, with a small FHIR client.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../src/config/load.js';
import { PROGRAM_SYSTEM, UNIT_SYSTEM, ORDER_NUMBER_TYPE } from '../../src/fhir/conventions.js';
import { startMediator, type RunningMediator, type StartOptions } from '../../src/main.js';
import { startHarness, type Harness } from '../unit/sandbox/openlmis/helpers.js';
import type { EngineCase } from './outbox-engines.js';

export const GTIN = 'https://www.gs1.org/gtin';
export const ORDER_SYSTEM = 'https://mobile.example.org/orders';
const PASSWORD = 'e2e-secret-Qw3';
/** The inbound credential the rig's mediator expects, for calls outside rig.fhir (/metrics, /ready). */
export const RIG_AUTH = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;

/** productCode → GTIN, from the product map the mediator uses. */
export function gtinOf(productCode: string): string {
  const map = JSON.parse(readFileSync(new URL('../../fhir-mappings/products.json', import.meta.url), 'utf8')) as {
    products: { codes: { openlmis?: string }; gtin: string }[];
  };
  const p = map.products.find((x) => x.codes.openlmis === productCode);
  if (!p) throw new Error(`no GTIN for ${productCode}`);
  return p.gtin;
}

export interface Rig {
  lmis: Harness;
  mediator: RunningMediator;
  fhir(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * The settings that sign the mediator in to the OpenLMIS sandbox at `url` as its seeded API user
 * (mediator / password, through the user-client OAuth2 client).
 */
export const openLmisEnv = (url: string): Record<string, string> => ({
  OPENLMIS_BASE_URL: url,
  OPENLMIS_USERNAME: 'mediator',
  OPENLMIS_PASSWORD: 'password',
  OPENLMIS_CLIENT_SECRET: 'changeme',
});

/**
 * One FHIR call to the mediator at `baseUrl` as the rig's client (RIG_AUTH), the body parsed
 * (undefined when empty). For a test that restarts its mediator, so has no one `Rig.fhir`.
 */
export async function fhirAt(
  baseUrl: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      authorization: RIG_AUTH,
      accept: 'application/fhir+json',
      ...(body ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** `start`: the mediator's start options (a test's own logger, to read its lines). */
export async function startRig(env: Record<string, string> = {}, start: StartOptions = {}): Promise<Rig> {
  const lmis = await startHarness();
  const dir = mkdtempSync(path.join(tmpdir(), 'lmis-e2e-'));
  let mediator: RunningMediator;
  try {
    mediator = await startMediator(
      loadSettings({
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        AUTH_PASSWORD: PASSWORD,
        ...openLmisEnv(lmis.sb.url),
        OUTBOX_DEADLINE_MS: '8000',
        OUTBOX_BACKOFF_BASE_MS: '50',
        OUTBOX_BACKOFF_CAP_MS: '200',
        ...env,
      } as NodeJS.ProcessEnv),
      start,
    );
  } catch (err) {
    // a mediator that refuses to start (a bad routing.json) must not leave the sandbox holding the test open
    await lmis.sb.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    lmis,
    mediator,
    fhir: (method, url, body, headers) => fhirAt(mediator.url, method, url, body, headers),
    async close() {
      await mediator.stop();
      await lmis.sb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The rig on a fresh database of this engine, closed and the database dropped when `t` ends. */
export async function startRigOn(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  env: Record<string, string> = {},
): Promise<Rig> {
  const db = await engine.freshDatabase({ migrated: true });
  const rig = await startRig({ DATABASE_URL: db.databaseUrl, ...env });
  t.teardown(async () => {
    await rig.close();
    await db.drop();
  });
  return rig;
}

/**
 * An order of `facility` with these lines (product code, dispensing units), released and shipped
 * in OpenLMIS, read as the in-progress R5 SupplyDelivery a client confirms, with its ETag and the
 * proof of delivery's id.
 */
export async function shippedDelivery(
  rig: Rig,
  facility: string,
  order: string,
  lines: { productCode: string; qty: number }[],
): Promise<{ read: any; etag: string; podId: string }> {
  const facilityId = rig.lmis.seed.facilities[facility];
  const posted = await rig.fhir(
    'POST',
    '/fhir',
    transactionOf(lines.map((l) => orderLine({ order, facilityId, program: 'EM01', ...l }))),
  );
  if (posted.status !== 200) throw new Error(`order ${order}: ${why(posted)}`);
  const [requisition] = requisitionsAt(rig, facility);
  const { orderId } = rig.lmis.sb.state.releaseRequisition(requisition.id);
  const podId: string = rig.lmis.sb.state.shipOrder(orderId).proofOfDeliveryId;
  const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${podId}`);
  if (read.status !== 200) throw new Error(`read delivery ${podId}: ${why(read)}`);
  return { read: read.body, etag: read.headers.get('etag')!, podId };
}

/**
 * The in-progress delivery `read` (shippedDelivery's) confirmed as a client does: completed at
 * `occurrenceDateTime`, every item received as shipped, by `receiver` unless it is null.
 */
export function confirmedInFull(read: any, occurrenceDateTime: string, receiver: string | null = 'Nurse Achieng'): any {
  const { meta: _meta, ...delivery } = structuredClone(read);
  delivery.status = 'completed';
  delivery.occurrenceDateTime = occurrenceDateTime;
  if (receiver !== null) delivery.receiver = [{ display: receiver }];
  for (const item of delivery.suppliedItem as any[])
    item.quantity = { ...item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity };
  return delivery;
}

/** One SupplyRequest line of an order: quantity in dispensing units unless `packs`. */
export function orderLine(opts: {
  order: string;
  facilityId: string;
  program: string;
  productCode: string;
  qty: number;
  packs?: boolean;
  priority?: string;
}): any {
  const unit = opts.packs ? 'pack' : 'dispensing-unit';
  return {
    resourceType: 'SupplyRequest',
    identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDER_SYSTEM, value: opts.order }],
    status: 'active',
    priority: opts.priority ?? 'routine',
    category: { coding: [{ system: PROGRAM_SYSTEM, code: opts.program }] },
    itemCodeableConcept: { coding: [{ system: GTIN, code: gtinOf(opts.productCode) }] },
    quantity: { value: opts.qty, unit: unit.replace('-', ' '), system: UNIT_SYSTEM, code: unit },
    authoredOn: '2026-11-20T08:00:00Z',
    deliverTo: { reference: `Location/${opts.facilityId}` },
  };
}

/**
 * An InventoryReport debiting `units` dispensing units of `productCode` (FP-LNG30 injectables
 * unless named) found damaged at the facility, under its own identifier.
 */
export function damagedStock(facilityId: string, id: string, units: number, productCode = 'FP-LNG30') {
  return {
    resourceType: 'InventoryReport',
    status: 'active',
    countType: 'difference',
    identifier: [{ system: 'https://mobile.example.org/counts', value: id }],
    operationType: { coding: [{ code: 'subtraction', display: 'subtraction' }] },
    operationTypeReason: { coding: [{ code: 'Damage', display: 'Damage' }] },
    reportedDateTime: '2026-11-21T10:00:00Z',
    inventoryListing: [
      {
        location: { reference: `Location/${facilityId}` },
        item: [
          {
            quantity: {
              value: units,
              unit: 'dispensing unit',
              system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit',
              code: 'dispensing-unit',
            },
            item: { concept: { coding: [{ system: GTIN, code: gtinOf(productCode) }] } },
          },
        ],
      },
    ],
  };
}

export function transactionOf(resources: any[], method = 'POST'): any {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resource: r,
      request: { method, url: r.resourceType },
    })),
  };
}

/** The requests that changed something in OpenLMIS since `from` (its log, not its logins). */
export function writesSince(rig: Rig, from: number): string[] {
  return rig.lmis.sb.state
    .requestLog(from)
    .filter((r: { method: string; path: string }) => r.method !== 'GET' && !r.path.includes('/oauth/'))
    .map((r: { method: string; path: string }) => `${r.method} ${r.path.split('?')[0]}`);
}

/** The requisitions OpenLMIS holds for the facility with this code. */
export function requisitionsAt(rig: Rig, facilityCode: string): any[] {
  const facilityId = rig.lmis.seed.facilities[facilityCode];
  return rig.lmis.sb.state.requisitionsByStatus().filter((r: any) => r.facilityId === facilityId);
}

/** A short reason for an assertion message: the first OperationOutcome diagnostics, or the status. */
export function why(res: { status: number; body?: any }): string {
  return res.body?.issue?.[0]?.diagnostics ?? res.body?.messageKey ?? `status ${res.status}`;
}
