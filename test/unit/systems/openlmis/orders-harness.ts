import { randomUUID } from 'node:crypto';
import type { Order, OrderLine, ProductRef, Quantity } from '../../../../src/domain/index.js';
import type {
  LmisClient,
  LmisRequest,
  OpenLmisDeps,
  OpenLmisSettings,
} from '../../../../src/systems/openlmis/types.js';
import { createDeliveryCapability } from '../../../../src/systems/openlmis/proof-of-delivery/deliveries.js';
import { createFacilityResolver } from '../../../../src/systems/openlmis/facility/facility-resolver.js';
import { FACILITY_CODE_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { createOrderCapability } from '../../../../src/systems/openlmis/requisition/orders.js';
import { loadProductMap } from '../../../../src/systems/openlmis/product/products.js';
import { createReferenceData } from '../../../../src/systems/openlmis/reference-data.js';
import { memoryLedger } from '../../../../src/systems/openlmis/requisition/write-ledger.js';
import { ORDER_NUMBER_SYSTEM } from '../../../../src/fhir/conventions.js';
import { startClientHarness, type ClientHarness } from './client-harness.js';

/**
 * The order/delivery flows wired exactly as index.ts wires them, against the in-process sandbox,
 * with a spy around the client: every request is recorded (method, path, query, body, key) and a
 * "crash" can be injected right after a chosen request succeeded — the upstream applied it, the
 * journal never heard of it, which is the window the flows must survive.
 */
export interface Recorded {
  method: string;
  path: string;
  query?: LmisRequest['query'];
  body?: unknown;
  idempotencyKey?: string;
}

export interface FlowHarness extends ClientHarness {
  deps: OpenLmisDeps;
  calls: Recorded[];
  /** Throw `Error('crash')` once, right after the next request matching method+path succeeded. */
  crashAfter(method: string, path: RegExp): void;
  orders: ReturnType<typeof createOrderCapability>;
  deliveries: ReturnType<typeof createDeliveryCapability>;
  product(productCode: string): ProductRef;
  facility(code: string): { id: string; identifier: { system: string; value: string } };
}

export { MemoryJournal } from '../../../support/memory-journal.js';

function spy(inner: LmisClient, calls: Recorded[], crash: { method: string; path: RegExp }[]): LmisClient {
  const after = <T>(req: LmisRequest, value: T): T => {
    const i = crash.findIndex((c) => c.method === req.method && c.path.test(req.path));
    if (i >= 0) {
      crash.splice(i, 1);
      throw new Error('crash');
    }
    return value;
  };
  const record = (req: LmisRequest) =>
    calls.push({
      method: req.method,
      path: req.path,
      query: req.query,
      body: req.body === undefined ? undefined : structuredClone(req.body),
      idempotencyKey: req.idempotencyKey,
    });
  return {
    async send(req) {
      record(req);
      return after(req, await inner.send(req));
    },
    async call(req) {
      record(req);
      return after(req, await inner.call(req));
    },
    // paging goes through call on the inner client: record the first page request only
    async all(req) {
      record({ ...req, method: 'GET' });
      return inner.all(req);
    },
    userId: () => inner.userId!(),
    reconfigure: (s) => inner.reconfigure(s),
    close: () => inner.close(),
  };
}

export async function startFlowHarness(
  overrides: Partial<OpenLmisSettings> = {},
  sandbox: Parameters<typeof startClientHarness>[2] = {},
): Promise<FlowHarness> {
  const h = await startClientHarness(overrides, { retryDelayMs: 5 }, sandbox);
  const calls: Recorded[] = [];
  const crash: { method: string; path: RegExp }[] = [];
  const client = spy(h.client, calls, crash);
  const refs = createReferenceData(client, 60_000);
  const products = loadProductMap();
  const deps: OpenLmisDeps = {
    client,
    refs,
    products,
    resolveFacility: createFacilityResolver(refs),
    settings: () => h.settings,
    ledger: memoryLedger(),
  };
  return {
    ...h,
    deps,
    calls,
    crashAfter: (method, path) => crash.push({ method, path }),
    orders: createOrderCapability(deps),
    deliveries: createDeliveryCapability(deps),
    product: (code) => products.toProduct(code),
    facility: (code) => ({ id: h.seed.facilities[code], identifier: { system: FACILITY_CODE_SYSTEM, value: code } }),
  };
}

export function line(
  h: FlowHarness,
  productCode: string,
  value: number,
  unit: Quantity['unit'] = 'dispensing-unit',
  explanation?: string,
): OrderLine {
  return { product: h.product(productCode), quantity: { value, unit }, ...(explanation ? { explanation } : {}) };
}

export function order(h: FlowHarness, facilityCode: string, lines: OrderLine[], extra: Partial<Order> = {}): Order {
  return {
    orderNumber: { system: ORDER_NUMBER_SYSTEM, value: `ORD-${randomUUID().slice(0, 8)}` },
    status: 'active',
    priority: 'routine',
    facility: { identifier: h.facility(facilityCode).identifier },
    program: 'EM01',
    lines,
    ...extra,
  };
}

/** The EM01 five-line order of the "must show": two lines in packs, three in dispensing units. */
export function fiveLineOrder(h: FlowHarness, extra: Partial<Order> = {}): Order {
  return order(
    h,
    'LK-HC-101',
    [
      line(h, 'EM-AMX250', 3, 'pack'),
      line(h, 'EM-PCM500', 2000),
      line(h, 'EM-ORS', 4, 'pack'),
      line(h, 'EM-ZNC20', 300, 'dispensing-unit', 'diarrhoea season'),
      line(h, 'EM-CTX480', 1000),
    ],
    extra,
  );
}

export function requisitions(h: FlowHarness) {
  return h.sb.state.requisitionsByStatus();
}
