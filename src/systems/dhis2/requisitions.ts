import { UTC, serverWallTimeFrom } from './server-time.js';
import { shownValue } from '../../config/shown-value.js';
import { stableId } from '../../domain/ids.js';
import type { Order, OrderLine } from '../../domain/index.js';
import { malformedAnswer } from '../../upstream/errors.js';
import type { Dhis2Client } from './client.js';
import { DHIS2, makeDhis2Error } from './errors.js';
import type { OrgUnitReader } from './facilities.js';
import { DHIS2_CODE_SYSTEM, DHIS2_SYSTEM, isUid } from './identifiers.js';
import { dhis2Instant } from './orgunit-codec.js';
import type { Dhis2ProductMap } from './products.js';
import { RTS_EVENT_SYSTEM } from './rts.js';
import { trackerPage } from './tracker-report.js';
import { trackerOrder } from './version.js';

/**
 * Facility requisitions raised in DHIS2 (the mSupply "DHIS2 LMIS integration",
 * docs.msupply.org.nz `integration:dhis2_lmis_integration`: the facility orders in an event
 * program, RTS on Android; the supplier polls for the completed events). One event is one
 * requisition at its org unit; each product has its own quantity data element in the stage (a
 * DHIS2 data element holds one value per event), named in the settings by the product's DHIS2
 * code. Completed events are read in `updatedAt` order with `updatedAfter`, so a caller can keep
 * a high-water mark and resume after the last page it finished.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

export interface RequisitionProgram {
  program: string;
  stage: string;
  /** Item code (products.json codes.dhis2, or codes.msupply per dhis2.rtsItemCode) → its quantity data element UID. */
  quantities: Map<string, string>;
}

/** `dhis2.requisitionDataElements`: `<item code>=<quantity data element UID>,…` (item codes per dhis2.rtsItemCode). */
export function parseRequisitionProgram(
  program: string,
  stage: string | undefined,
  spec: string | undefined,
): RequisitionProgram {
  // a value refused here is quoted only when it has the shape of a UID or code (shownValue): a
  // password pasted into one of these fields must not reach the log or the OpenHIM console
  if (!isUid(program))
    throw new Error(`dhis2.requisitionProgram must be a program UID, got ${shownValue(program, 'uid')}`);
  if (!isUid(stage)) throw new Error('dhis2.requisitionStage must be the requisition program stage UID');
  const quantities = new Map<string, string>();
  for (const pair of (spec ?? '').split(',').map((p) => p.trim())) {
    if (!pair) continue;
    const [code, uid] = pair.split('=').map((x) => x.trim());
    const form = 'write <item code>=<data element UID>,…';
    if (!code) throw new Error(`dhis2.requisitionDataElements: an entry has no item code before its '=': ${form}`);
    if (!uid)
      throw new Error(`dhis2.requisitionDataElements: ${shownValue(code, 'code')} names no data element: ${form}`);
    if (!isUid(uid))
      throw new Error(
        `dhis2.requisitionDataElements: ${shownValue(code, 'code')}'s data element must be a UID, got ${shownValue(uid, 'uid')}`,
      );
    quantities.set(code, uid);
  }
  if (!quantities.size)
    throw new Error('dhis2.requisitionDataElements names no product: <item code>=<data element UID>,…');
  return { program, stage: stage!, quantities };
}

/** An event that cannot become an order, and why (reported by the bridge, never guessed around). */
export interface SkippedRequisition {
  event: string;
  /** The org unit's code, else its id: where to ask for the event to be put right. */
  facility: string;
  reason: string;
}

/** One page of completed requisitions, oldest update first. */
export interface RequisitionPage {
  orders: Order[];
  skipped: SkippedRequisition[];
  /** The DHIS2 `updatedAt` of the page's last event, as the server wrote it: the next high-water mark. */
  highWater?: string;
  /** The server's zone, whose wall time the marks (`highWater`, `updatedAfter`) are written in. */
  zone?: string;
}

export interface RequisitionFeed {
  /**
   * Completed requisition events updated at or after `updatedAfter` (a DHIS2 timestamp), page by
   * page. `zone`: the server's zone the caller's mark was read in (the RTS run's one question);
   * without it the zone is asked at the read's start (serverZoneNow), never the one the process
   * asked first: DHIS2's zone changes when DHIS2 restarts, not when the mediator does.
   */
  completed(updatedAfter?: string, pageSize?: number, zone?: string): AsyncGenerator<RequisitionPage>;
}

export interface RequisitionDeps {
  client: Dhis2Client;
  reader: OrgUnitReader;
  products: () => Dhis2ProductMap;
  program: () => RequisitionProgram;
}

/** The order a completed requisition event is, or why it is none. */
export function toOrder(
  e: Json,
  ou: Json | undefined,
  p: RequisitionProgram,
  products: Dhis2ProductMap,
  zone: string = UTC,
): Order | SkippedRequisition {
  const event = String(e.event);
  if (!ou?.code)
    return {
      event,
      facility: String(e.orgUnit),
      reason: `org unit ${e.orgUnit} has no code: mSupply finds a facility by its org unit code`,
    };
  const facility = String(ou.code);
  const values = new Map<string, string>(
    ((e.dataValues as Json[] | undefined) ?? []).map((d) => [String(d.dataElement), String(d.value)]),
  );
  const lines: OrderLine[] = [];
  for (const [code, dataElement] of p.quantities) {
    const raw = values.get(dataElement);
    if (raw === undefined || raw === '') continue;
    const quantity = Number(raw);
    if (!Number.isSafeInteger(quantity) || quantity < 0)
      return {
        event,
        facility,
        reason: `data element ${dataElement} (${code}) holds '${raw}', not a whole number of units`,
      };
    if (quantity === 0) continue;
    const product = products.productOf(code);
    if (!product)
      return {
        event,
        facility,
        reason: `item ${code} is not in products.json under the code dhis2.rtsItemCode names items by`,
      };
    lines.push({ product, quantity: { value: quantity, unit: 'dispensing-unit' } });
  }
  if (!lines.length) return { event, facility, reason: 'no product has a quantity above zero' };
  return {
    id: stableId(DHIS2_SYSTEM, 'requisition-event', event),
    orderNumber: { system: RTS_EVENT_SYSTEM, value: event },
    status: 'active',
    priority: 'routine',
    facility: {
      id: String(ou.id),
      identifier: { system: DHIS2_CODE_SYSTEM, value: String(ou.code) },
      display: ou.name ? String(ou.name) : undefined,
    },
    authoredOn: dhis2Instant(e.occurredAt, zone),
    lines,
    source: { system: DHIS2_SYSTEM, id: event },
    lastUpdated: dhis2Instant(e.updatedAt, zone),
  };
}

export function createRequisitionFeed(deps: RequisitionDeps): RequisitionFeed {
  return {
    async *completed(updatedAfter, pageSize = 200, zone?: string) {
      const p = deps.program();
      // one zone for the whole read: the mark sent, every event's times and the next mark agree
      const serverZone = zone ?? (await deps.client.serverZoneNow());
      const orgUnits = new Map<string, Promise<Json | undefined>>();
      const orgUnit = (uid: string) => {
        if (!orgUnits.has(uid)) orgUnits.set(uid, deps.reader.byId(uid));
        return orgUnits.get(uid)!;
      };
      // Keyset paging: each page starts from the last event read (DHIS2's updatedAfter is
      // inclusive). Page numbers over one fixed updatedAfter skipped events: one edited after its
      // page was read moves to the end, every later event moves up a place, and the next page's
      // first event fell into the page already read, then behind the bridge's mark for good.
      let since = updatedAfter;
      // events already read that were updated at `since` exactly: it is read again with them
      let readAtSince = new Set<string>();
      // more than a page updated at one instant (a bulk import): page on within that instant
      let page = 1;
      for (let round = 0; round < 100_000; round++) {
        const read = trackerPage<Json>(
          await deps.client.call<unknown>({
            method: 'GET',
            path: '/api/tracker/events',
            query: {
              program: p.program,
              programStage: p.stage,
              status: 'COMPLETED',
              // oldest update first: a page finished is a high-water mark nothing older lies beyond
              order: trackerOrder(await deps.client.features(), 'updatedAt', 'asc'),
              // a mark moved back into a spring clock change's gap: sent as the instant it means
              updatedAfter: since === undefined ? undefined : serverWallTimeFrom(since, serverZone),
              fields: 'event,status,orgUnit,occurredAt,updatedAt,dataValues[dataElement,value]',
              page,
              pageSize,
            },
          }),
          'events',
        );
        if (!read) throw malformedAnswer(DHIS2, 'GET /api/tracker/events answered no events page', makeDhis2Error);
        const products = deps.products();
        const out: RequisitionPage = { orders: [], skipped: [] };
        const fresh = read.items.filter((e) => !readAtSince.has(String(e.event)));
        for (const e of fresh) {
          // an event program can still hold an ACTIVE event when a server ignores the status filter
          if (e.status !== 'COMPLETED') continue;
          const o = toOrder(e, await orgUnit(String(e.orgUnit)), p, products, serverZone);
          if ('orderNumber' in o) out.orders.push(o);
          else out.skipped.push(o);
        }
        const last = read.items.at(-1);
        out.highWater = last ? String(last.updatedAt) : undefined;
        out.zone = serverZone;
        if (fresh.length) yield out;
        if (read.last || !last) return;
        const lastAt = String(last.updatedAt);
        const atLast = read.items.filter((e) => String(e.updatedAt) === lastAt).map((e) => String(e.event));
        if (lastAt === since) {
          page++;
          for (const id of atLast) readAtSince.add(id);
        } else {
          since = lastAt;
          page = 1;
          readAtSince = new Set(atLast);
        }
      }
    },
  };
}
