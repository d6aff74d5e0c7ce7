/**
 * The writes of the OpenLMIS fault-and-crash test and what each must leave in OpenLMIS:
 * orders (transaction Bundles of SupplyRequests sharing an order number; regular and
 * emergency; several per facility/program at once), stock counts and adjustments
 * (InventoryReport, R5), delivery confirmations (SupplyDelivery, R5), and writes that must be
 * refused (unmapped product, unknown facility, a good order bundled with a bad one, stock going
 * negative, a confirmation whose quantities do not add up). Deterministic for a given seed.
 */
import { UNIT_SYSTEM } from '../../src/fhir/conventions.js';
import { GTIN, gtinOf, ORDER_SYSTEM, orderLine } from './openlmis-e2e.js';

export const COUNT_SYSTEM = 'https://mobile.example.org/counts';

export interface OrderSpec {
  number: string;
  facilityCode: string;
  facilityId: string;
  program: string;
  emergency: boolean;
  lines: { productCode: string; qty: number }[];
  /**
   * A regular order sent while others for the same facility/program are in flight: OpenLMIS
   * holds one regular requisition per period, so the connector may refuse it (409, or 422 when
   * OpenLMIS wants the previous period finished). Refused, it must be absent; it must never be
   * merged into another order's requisition.
   */
  mayConflict: boolean;
}
export interface StockSpec {
  key: string;
  facilityId: string;
  kind: 'count' | 'credit' | 'debit';
  lines: { productCode: string; qty: number }[];
}
export interface DeliverySpec {
  key: string;
  podId: string;
  deliveryId: string;
  expected: Record<string, [number, number]>;
}

export interface Write {
  /** the business key the client resends under */
  key: string;
  kind: 'order' | 'stock' | 'delivery';
  /** false: must be refused (why says why) and leave nothing upstream */
  valid: boolean;
  why?: string;
  method: 'POST' | 'PUT';
  url: string;
  body: unknown;
  /** what a client polls after a 202 */
  read: string;
  orders?: OrderSpec[];
  stock?: StockSpec;
  delivery?: DeliverySpec;
}

export const EM01 = ['EM-AMX250', 'EM-PCM500', 'EM-ORS', 'EM-ZNC20', 'EM-CTX480'];
export const FP01 = ['FP-LNG30', 'FP-DMPA', 'FP-CNDM', 'FP-IMPL'];
const hp = (n: number) => `LK-HP-${400 + n}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Who gets what: disjoint where the design requires it (see the test's header). */
export const PLAN = {
  /** regular orders: several per facility/program, each needing its own past period (6 exist) */
  regular: [
    ...range(1, 16).map((n) => ({ facility: hp(n), program: 'EM01' })),
    ...['LK-HC-101', 'LK-HC-102', 'LK-HC-103', 'LK-DH-201'].map((facility) => ({ facility, program: 'FP01' })),
  ],
  regularPerFacility: 4,
  /** emergency orders: many per facility/program/period, next to the clerk's emergency drafts */
  emergency: [
    ...['LK-HC-101', 'LK-HC-102', 'LK-HC-103', 'LK-HC-104', 'LK-DH-201', ...range(17, 24).map(hp)].map((facility) => ({
      facility,
      program: 'EM01',
      per: 20,
    })),
    ...['LK-HC-101', 'LK-HC-102', 'LK-HC-103', 'LK-DH-201'].map((facility) => ({ facility, program: 'FP01', per: 4 })),
  ],
  /**
   * the clerk's drafts: emergency ones where our emergency orders go; regular ones mostly where no
   * regular order of ours goes (the period's one regular requisition is then the clerk's), and
   * two where ours go too (ours must then be refused or go to other periods, never into it)
   */
  clerkEmergency: [
    ...['LK-HC-101', 'LK-HC-102', 'LK-HC-103', 'LK-HC-104', 'LK-DH-201', ...range(17, 23).map(hp)].map((facility) => ({
      facility,
      program: 'EM01',
    })),
    { facility: 'LK-HC-101', program: 'FP01' },
    { facility: 'LK-DH-201', program: 'FP01' },
  ],
  clerkRegular: ['LK-HC-101', 'LK-HC-102', 'LK-HC-103', 'LK-HC-104', 'LK-DH-201', hp(15), hp(16)].map((facility) => ({
    facility,
    program: 'EM01',
  })),
  /** shipments to confirm (no stock card is counted there, so receipts cannot clash with counts) */
  deliveries: range(1, 12).map(hp),
  deliveriesPerFacility: 2,
  refusedDeliveries: 3,
  /** stock counts and adjustments, on cards opened before the run */
  stock: range(13, 20).map(hp),
  stockPerFacility: { count: 4, credit: 4, debit: 4 },
};

export { random } from './seeded-random.js';

/** A GTIN with a valid GS1 check digit that no product map entry has. */
export function unmappedGtin(n: number): string {
  const body = `0999999${String(n).padStart(6, '0')}`;
  const sum = [...body].reverse().reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 3 : 1), 0);
  return `${body}${(10 - (sum % 10)) % 10}`;
}

function pick<T>(rnd: () => number, from: T[], n: number): T[] {
  const pool = [...from];
  const out: T[] = [];
  while (out.length < n && pool.length) out.push(pool.splice(Math.floor(rnd() * pool.length), 1)[0]);
  return out;
}

function bundle(resources: any[]): any {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resource: r,
      request: { method: 'POST', url: 'SupplyRequest' },
    })),
  };
}

function orderResources(o: OrderSpec): any[] {
  return o.lines.map((l) =>
    orderLine({
      order: o.number,
      facilityId: o.facilityId,
      program: o.program,
      productCode: l.productCode,
      qty: l.qty,
      priority: o.emergency ? 'urgent' : 'routine',
    }),
  );
}

const readOrder = (number: string) =>
  `/fhir/SupplyRequest?identifier=${encodeURIComponent(`${ORDER_SYSTEM}|${number}`)}`;

function orderWrite(orders: OrderSpec[], valid: boolean, why?: string, resources?: any[]): Write {
  return {
    key: orders[0].number,
    kind: 'order',
    valid,
    why,
    method: 'POST',
    url: '/fhir',
    body: bundle(resources ?? orders.flatMap(orderResources)),
    read: readOrder(orders[0].number),
    orders,
  };
}

/** Orders: chunks of writes meant to run at the same time (same facility/program). */
export function orderChunks(prefix: string, facilities: Record<string, string>, rnd: () => number): Write[][] {
  const chunks: Write[][] = [];
  const spec = (n: string, facility: string, program: string, emergency: boolean): OrderSpec => {
    const products = program === 'EM01' ? EM01 : FP01;
    return {
      number: n,
      facilityCode: facility,
      facilityId: facilities[facility],
      program,
      emergency,
      mayConflict: !emergency,
      lines: pick(rnd, products, 1 + Math.floor(rnd() * 3)).map((productCode) => ({
        productCode,
        qty: 10 + Math.floor(rnd() * 390),
      })),
    };
  };
  for (const { facility, program } of PLAN.regular) {
    chunks.push(
      range(1, PLAN.regularPerFacility).map((i) =>
        orderWrite([spec(`${prefix}-R-${facility}-${program}-${i}`, facility, program, false)], true),
      ),
    );
  }
  for (const { facility, program, per } of PLAN.emergency) {
    const all = range(1, per).map((i) =>
      orderWrite([spec(`${prefix}-E-${facility}-${program}-${i}`, facility, program, true)], true),
    );
    // two waves per facility/program, each all at once, so they meet the clerk's drafts at different times
    chunks.push(all.slice(0, per / 2), all.slice(per / 2));
  }
  // refused: each alone
  const unknownFacility = '7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
  for (const i of range(1, 6)) {
    const o = spec(`${prefix}-X-GTIN-${i}`, hp(17 + (i % 8)), 'EM01', i % 2 === 0);
    const resources = orderResources(o);
    resources[0].itemCodeableConcept.coding[0].code = unmappedGtin(i);
    chunks.push([orderWrite([o], false, 'unmapped product', resources)]);
  }
  for (const i of range(1, 6)) {
    const o = { ...spec(`${prefix}-X-FAC-${i}`, hp(17 + (i % 8)), 'EM01', i % 2 === 1), facilityId: unknownFacility };
    chunks.push([orderWrite([o], false, 'unknown facility')]);
  }
  for (const i of range(1, 4)) {
    // one order, one good line and one unmapped line: the good line must not reach OpenLMIS either
    const o = spec(`${prefix}-X-LINE-${i}`, hp(17 + i), 'EM01', true);
    const bad = orderLine({
      order: o.number,
      facilityId: o.facilityId,
      program: 'EM01',
      productCode: 'EM-ORS',
      qty: 5,
      priority: 'urgent',
    });
    bad.itemCodeableConcept.coding[0].code = unmappedGtin(100 + i);
    o.lines = o.lines.filter((l) => l.productCode !== 'EM-ORS');
    if (o.lines.length === 0) o.lines = [{ productCode: 'EM-AMX250', qty: 50 }];
    chunks.push([orderWrite([o], false, 'a good line with an unmapped one', [...orderResources(o), bad])]);
  }
  for (const i of range(1, 4)) {
    // a transaction of a good order and an order for an unknown facility: nothing may be written
    const good = spec(`${prefix}-X-PAIR-${i}-good`, hp(17 + i), 'EM01', true);
    const bad = { ...spec(`${prefix}-X-PAIR-${i}-bad`, hp(17 + i), 'EM01', true), facilityId: unknownFacility };
    chunks.push([orderWrite([good, bad], false, 'a good order bundled with one for an unknown facility')]);
  }
  return chunks;
}

function quantity(value: number) {
  return { value, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' };
}

function item(productCode: string, qty: number, gtin = gtinOf(productCode)) {
  return { quantity: quantity(qty), item: { concept: { coding: [{ system: GTIN, code: gtin }] } } };
}

function daysAgo(days: number, minutes = 0): string {
  const d = new Date(Date.now() - days * 86_400_000 + minutes * 60_000);
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** The day the stock cards are opened, before every count and adjustment of the run. */
export const OPENING_DAY = () => daysAgo(20).slice(0, 10);

function stockWrite(s: StockSpec, valid: boolean, body: any, why?: string): Write {
  return {
    key: s.key,
    kind: 'stock',
    valid,
    why,
    method: 'POST',
    url: '/fhir/R5/InventoryReport',
    body,
    read: `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${s.facilityId}`)}`,
    stock: s,
  };
}

function report(s: StockSpec, when: string, items: any[]): any {
  const base: any = {
    resourceType: 'InventoryReport',
    status: 'active',
    countType: s.kind === 'count' ? 'snapshot' : 'difference',
    identifier: [{ system: COUNT_SYSTEM, value: s.key }],
    reportedDateTime: when,
    inventoryListing: [{ location: { reference: `Location/${s.facilityId}` }, countingDateTime: when, item: items }],
  };
  if (s.kind === 'credit')
    Object.assign(base, {
      operationType: { coding: [{ code: 'addition', display: 'addition' }] },
      operationTypeReason: { coding: [{ code: 'Facility return', display: 'Facility return' }] },
    });
  if (s.kind === 'debit')
    Object.assign(base, {
      operationType: { coding: [{ code: 'subtraction', display: 'subtraction' }] },
      operationTypeReason: { coding: [{ code: 'Damage', display: 'Damage' }] },
    });
  return base;
}

/**
 * Stock: counts of every EM01 card (≥ 1,000 each, physical inventories must name every active
 * card), credits, and debits of at most 5 units, so no order of arrival can make stock negative.
 */
export function stockChunks(prefix: string, facilities: Record<string, string>, rnd: () => number): Write[][] {
  const chunks: Write[][] = [];
  let minute = 0;
  for (const code of PLAN.stock) {
    const facilityId = facilities[code];
    const writes: Write[] = [];
    for (const kind of ['count', 'credit', 'debit'] as const) {
      for (const i of range(1, PLAN.stockPerFacility[kind])) {
        const lines =
          kind === 'count'
            ? EM01.map((productCode) => ({ productCode, qty: 1_000 + Math.floor(rnd() * 4_000) }))
            : [
                {
                  productCode: EM01[Math.floor(rnd() * EM01.length)],
                  qty: kind === 'credit' ? 1 + Math.floor(rnd() * 20) : 1 + Math.floor(rnd() * 5),
                },
              ];
        const s: StockSpec = { key: `${prefix}-S-${code}-${kind}-${i}`, facilityId, kind, lines };
        writes.push(
          stockWrite(
            s,
            true,
            report(
              s,
              daysAgo(10, minute++),
              lines.map((l) => item(l.productCode, l.qty)),
            ),
          ),
        );
      }
    }
    chunks.push(writes.slice(0, 6), writes.slice(6));
  }
  const target = facilities[PLAN.stock[0]];
  const negative: StockSpec = {
    key: `${prefix}-S-X-NEGATIVE`,
    facilityId: target,
    kind: 'debit',
    lines: [{ productCode: 'EM-ORS', qty: 1_000_000 }],
  };
  chunks.push([
    stockWrite(negative, false, report(negative, daysAgo(9), [item('EM-ORS', 1_000_000)]), 'stock would go negative'),
  ]);
  for (const i of range(1, 2)) {
    const s: StockSpec = {
      key: `${prefix}-S-X-GTIN-${i}`,
      facilityId: facilities[PLAN.stock[i]],
      kind: 'credit',
      lines: [{ productCode: 'EM-ORS', qty: 3 }],
    };
    chunks.push([
      stockWrite(s, false, report(s, daysAgo(9), [item('EM-ORS', 3, unmappedGtin(200 + i))]), 'unmapped product'),
    ]);
    const f: StockSpec = {
      key: `${prefix}-S-X-FAC-${i}`,
      facilityId: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
      kind: 'credit',
      lines: [{ productCode: 'EM-ORS', qty: 3 }],
    };
    chunks.push([stockWrite(f, false, report(f, daysAgo(9), [item('EM-ORS', 3)]), 'unknown facility')]);
  }
  return chunks;
}

const REJECTED = 'http://fhir-supply-mediator.org/fhir/StructureDefinition/quantity-rejected';
const REASON = 'http://fhir-supply-mediator.org/fhir/StructureDefinition/rejection-reason';
const shippedOf = (item: any): number =>
  item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity.value;

/**
 * Confirming a delivery the mediator reads as in-progress: everything accepted, except (every
 * other one) one pack of the first line rejected as damaged; `broken` accepts 5 packs more than
 * were shipped, which must be refused.
 */
export function deliveryWrite(delivery: any, podId: string, n: number, broken: boolean): Write {
  const expected: Record<string, [number, number]> = {};
  const body = structuredClone(delivery);
  delete body.meta;
  body.status = 'completed';
  body.suppliedItem = body.suppliedItem.map((it: any, i: number) => {
    const shipped = shippedOf(it);
    const rejected = !broken && i === 0 && n % 2 === 0 && shipped > 1 ? 1 : 0;
    const accepted = broken && i === 0 ? shipped + 5 : shipped - rejected;
    expected[it.itemCodeableConcept.coding[0].code] = [accepted, rejected];
    const ext = it.extension.filter((e: any) => e.url !== REJECTED && e.url !== REASON);
    if (rejected)
      ext.push(
        { url: REJECTED, valueQuantity: { value: rejected, unit: 'pack', system: UNIT_SYSTEM, code: 'pack' } },
        { url: REASON, valueString: 'Damaged on arrival' },
      );
    return { ...it, quantity: { ...it.quantity, value: accepted }, extension: ext };
  });
  const key = body.identifier?.[0]?.value ?? delivery.id;
  return {
    key,
    kind: 'delivery',
    valid: !broken,
    why: broken ? 'accepted + rejected ≠ shipped' : undefined,
    method: 'PUT',
    url: `/fhir/R5/SupplyDelivery/${delivery.id}`,
    body,
    read: `/fhir/R5/SupplyDelivery/${delivery.id}`,
    delivery: { key, podId, deliveryId: delivery.id, expected },
  };
}

/** Fisher-Yates with the run's generator. */
export function shuffle<T>(items: T[], rnd: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Chunks → one queue: chunks in random order, each chunk's writes next to each other. */
export function queueOf(chunks: Write[][], rnd: () => number): Write[] {
  return shuffle(chunks, rnd).flat();
}
