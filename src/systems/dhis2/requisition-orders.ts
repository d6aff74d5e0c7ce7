import { serverFilterTime, serverFilterTimeUpTo } from './server-time.js';
import { InvalidInputError, MediatorError } from '../../domain/errors.js';
import { inRanges, narrowest } from '../../domain/instant-range.js';
import { orderLineId } from '../../domain/line-ids.js';
import type { Order, ProductRef } from '../../domain/index.js';
import type { OrderCapability, Page, SearchCriteria } from '../../routing/ports.js';
import type { Dhis2Client } from './client.js';
import { DHIS2, makeDhis2Error } from './errors.js';
import type { OrgUnitReader } from './facilities.js';
import { isUid } from './identifiers.js';
import type { Dhis2ProductMap } from './products.js';
import { toOrder, type RequisitionProgram } from './requisitions.js';
import { RTS_EVENT_SYSTEM } from './rts.js';
import { trackerPage } from './tracker-report.js';
import { trackerOrder } from './version.js';
import { malformedAnswer } from '../../upstream/errors.js';
import type { UpstreamRequest } from '../../upstream/client.js';
import { getOrAbsent } from '../../upstream/lookup.js';
import { noBodyAnswer, withIdAnswer } from './page-answer.js';

/**
 * The RTS order program's requisition events as orders to read (SupplyRequest search and read),
 * the same decoding the rtsToMsupply bridge uses (requisitions.ts `toOrder`): one order per event
 * at its org unit, a line per product with a quantity. Completed events are active orders, events
 * still open drafts. Read only: the facilities raise them in DHIS2 (RTS on Android); routing takes
 * this capability as no writer (`readOnly`) and refuses a write of one of these orders.
 *
 * Every read is bounded by what the tracker API filters on (docs.dhis2.org developer/web-api
 * tracker.md "Events"; dhis2-core `tracker/export/event/EventRequestParams`): the facility
 * (`orgUnit`, mode SELECTED), the event UIDs an identifier or `_id` names, `occurredAfter/Before`
 * for the order date, `updatedAfter/Before` for `_lastUpdated`, `status`; the FHIR page is one
 * DHIS2 page (`page`/`pageSize`, `order=createdAt:asc` so a new event never shifts a page already
 * served). A search none of those bound (every facility, any time) is refused (422 too-costly)
 * naming the parameters that would bound it: it would page through the country's events.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

export interface RequisitionOrderDeps {
  client: Dhis2Client;
  reader: OrgUnitReader;
  products: () => Dhis2ProductMap;
  program: () => RequisitionProgram;
  /** Registry (MFR) id → DHIS2 org unit UID, for a search by a registry Location id. */
  crosswalk?: (registryId: string) => Promise<string | undefined>;
}

/** Why these orders are only read, for routing's refusal of a write and the CapabilityStatement. */
export const RTS_ORDERS_READ_ONLY =
  'DHIS2 RTS requisitions are raised by the facilities in DHIS2 (Real-Time Stock on Android) and only read by the mediator: submit, change or cancel them in DHIS2';

const FIELDS = 'event,program,status,orgUnit,occurredAt,updatedAt,dataValues[dataElement,value]';
const EVENTS = '/api/tracker/events';
/** A search that is not paged for the edge reads every match page by page, up to this many pages. */
const PAGE_SIZE = 200;
const MAX_PAGES = 500;

/**
 * The SupplyRequest id of a requisition line: the event UID, then the line id formula every
 * connector gives a line (domain/line-ids.ts). The event UID in front makes a read one call
 * (GET /api/tracker/events/{uid}) for an id nobody linked, where the formula alone is a hash.
 */
export function requisitionLineId(event: string, product: ProductRef): string {
  return `${event}-${orderLineId({ system: RTS_EVENT_SYSTEM, value: event }, product)}`;
}

/** The event UID an id names: an order's own (the event UID) or one of its lines'. */
export function eventOfId(id: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9]{10})(?:-[0-9a-f]{32})?$/.exec(id);
  return m?.[1];
}

/** What a search asks DHIS2 for; `none` when nothing can match (no call needed). */
/** `zone`: the server's, asked once at the search's start (DHIS2's changes when DHIS2 restarts). */
type Bounds = { none: true } | { none?: false; query: Json; orgUnit?: Json; zone: string };

/** FHIR SupplyRequest status → the requisition event status it reads from. */
const EVENT_STATUS: Record<string, string> = { active: 'COMPLETED', draft: 'ACTIVE' };

/** The refusal of a search nothing bounds: which parameters would bound it (FHIR issue type too-costly). */
export function tooCostly(): MediatorError {
  return new MediatorError(422, {
    code: 'too-costly',
    diagnostics:
      "a SupplyRequest search served by DHIS2 (RTS requisitions) needs a bound the DHIS2 tracker API can filter on, or it would page through every facility's requisition events: add subject (the facility, Location/<id>), date=ge<date> (authoredOn), _lastUpdated=ge<instant>, identifier or _id",
    expression: ['subject', 'date', '_lastUpdated'],
  });
}

export function createRequisitionOrders(deps: RequisitionOrderDeps): OrderCapability {
  const orgUnitOf = async (facility: string): Promise<Json | undefined> => {
    if (isUid(facility)) {
      const ou = await deps.reader.byId(facility);
      if (ou) return ou;
    }
    const uid = await deps.crosswalk?.(facility);
    return uid ? deps.reader.byId(uid) : undefined;
  };

  /**
   * Events → orders (those that are orders), each org unit read once; `known` org units need no read.
   * `zone`: the server's, asked at the read's or the search's start (DHIS2's changes when it restarts).
   */
  const decode = async (events: Json[], known: Json[], zone: string): Promise<Order[]> => {
    const p = deps.program();
    const products = deps.products();
    const orgUnits = new Map<string, Promise<Json | undefined>>(
      known.map((ou) => [String(ou.id), Promise.resolve(ou)]),
    );
    const out: Order[] = [];
    for (const e of events) {
      const uid = String(e.orgUnit);
      if (!orgUnits.has(uid)) orgUnits.set(uid, deps.reader.byId(uid));
      const o = toOrder(e, await orgUnits.get(uid), p, products, zone);
      // an event that is no order (no quantity, an unknown product) is not served as one
      if (!('orderNumber' in o)) continue;
      const event = String(e.event);
      out.push({
        ...o,
        // the event UID: what a search links each line id to, so a later read is one call
        id: event,
        status: e.status === 'COMPLETED' ? 'active' : 'draft',
        lines: o.lines.map((l) => ({ ...l, lineId: requisitionLineId(event, l.product) })),
      });
    }
    return out;
  };

  /** The tracker filters of a search, spelt for the server's version, or why nothing matches. */
  const boundsOf = async (c: SearchCriteria): Promise<Bounds> => {
    // RTS requisitions name no supplier (the supplier is whoever fulfils them: mSupply, by the bridge)
    if (c.supplier) return { none: true };
    const status = c.status ? EVENT_STATUS[c.status] : undefined;
    if (c.status && !status) return { none: true };
    let events: string[] | undefined;
    if (c.identifier) {
      if (c.identifier.system && c.identifier.system !== RTS_EVENT_SYSTEM) return { none: true };
      if (!isUid(c.identifier.value)) return { none: true };
      events = [c.identifier.value];
    }
    if (c.ids) {
      const named = [...new Set(c.ids.map(eventOfId).filter((e): e is string => !!e))];
      events = events ? events.filter((e) => named.includes(e)) : named;
    }
    if (events && !events.length) return { none: true };
    const occurred = narrowest(c.date);
    const updated = narrowest(c.lastUpdated);
    if (
      (occurred.from && occurred.to && occurred.from > occurred.to) ||
      (updated.from && updated.to && updated.from > updated.to)
    )
      return { none: true };
    let orgUnit: Json | undefined;
    if (c.facility) {
      orgUnit = await orgUnitOf(c.facility);
      if (!orgUnit) return { none: true };
    }
    if (!orgUnit && !events && !occurred.from && !updated.from) throw tooCostly();
    const v41 = (await deps.client.features()).trackerFilters41;
    const zone = await deps.client.serverZoneNow();
    const query: Json = {
      status,
      occurredAfter: serverFilterTime(occurred.from, zone),
      occurredBefore: serverFilterTimeUpTo(occurred.to, zone),
      updatedAfter: serverFilterTime(updated.from, zone),
      updatedBefore: serverFilterTimeUpTo(updated.to, zone),
    };
    if (orgUnit) Object.assign(query, { orgUnit: String(orgUnit.id), [v41 ? 'orgUnitMode' : 'ouMode']: 'SELECTED' });
    if (events) query[v41 ? 'events' : 'event'] = events.join(v41 ? ',' : ';');
    return { query, orgUnit, zone };
  };

  /** The exact FHIR meaning, on what the upstream filters returned (its bounds may be wider). */
  const matches = (o: Order, c: SearchCriteria) =>
    (!c.status || o.status === c.status) &&
    (!c.identifier || o.orderNumber.value === c.identifier.value) &&
    inRanges(o.authoredOn, c.date) &&
    inRanges(o.lastUpdated, c.lastUpdated);

  const eventsPage = async (query: Json, page: number, pageSize: number) => {
    const p = deps.program();
    const read = trackerPage<Json>(
      await deps.client.call<unknown>({
        method: 'GET',
        path: EVENTS,
        query: {
          program: p.program,
          programStage: p.stage,
          fields: FIELDS,
          order: trackerOrder(await deps.client.features(), 'createdAt', 'asc'),
          ...query,
          page,
          pageSize,
        },
      }),
      'events',
    );
    if (!read) throw malformedAnswer(DHIS2, `GET ${EVENTS} answered no events page`, makeDhis2Error);
    return read;
  };

  /** One FHIR page: one DHIS2 page, its lines from `skip` on, at most `count` of them. */
  const onePage = async (
    c: SearchCriteria & { page: NonNullable<SearchCriteria['page']> },
    b: Extract<Bounds, { query: Json }>,
  ): Promise<Page<Order>> => {
    const count = c.page.count;
    if (count === 0) return { items: [], paged: true };
    const at = decodeCursor(c.page.cursor, count);
    const read = await eventsPage(b.query, at.page, at.size);
    const orders = (await decode(read.items, b.orgUnit ? [b.orgUnit] : [], b.zone)).filter((o) => matches(o, c));
    const lines = orders.flatMap((o) => o.lines.map((line) => ({ o, line })));
    const window = lines.slice(at.skip, at.skip + count);
    const next =
      at.skip + count < lines.length
        ? encodeCursor({ ...at, skip: at.skip + count })
        : read.last
          ? undefined
          : encodeCursor({ page: at.page + 1, size: at.size, skip: 0 });
    return { items: regroup(window), paged: true, next };
  };

  /** Every match (the edge sorts, offsets or merges several systems), page by page within the bounds. */
  const everyMatch = async (c: SearchCriteria, b: Extract<Bounds, { query: Json }>): Promise<Order[]> => {
    const out: Order[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const read = await eventsPage(b.query, page, PAGE_SIZE);
      out.push(...(await decode(read.items, b.orgUnit ? [b.orgUnit] : [], b.zone)).filter((o) => matches(o, c)));
      if (read.last || !read.items.length) return out;
    }
    throw new MediatorError(422, {
      code: 'too-costly',
      diagnostics: `more than ${MAX_PAGES * PAGE_SIZE} DHIS2 requisition events match this SupplyRequest search: narrow it (subject, date) or page it without _sort or _offset`,
    });
  };

  return {
    async get(id) {
      const event = eventOfId(id);
      // not an id of ours (another system's hash, a registry id): no DHIS2 call at all
      if (!event) return undefined;
      const path = `${EVENTS}/${event}`;
      const body = await getOrAbsent<Json, UpstreamRequest>(
        deps.client,
        // a gateway's JSON page is no answer about the event: read again, never "no such order"
        { path, query: { fields: FIELDS }, decodeAnswer: withIdAnswer(path, event, 'event') },
        [404],
        noBodyAnswer(path),
      );
      if (!body || body.program !== deps.program().program) return undefined;
      // the zone asked now (reused ZONE_REUSE_MS), not the process's first: DHIS2 may have restarted elsewhere
      const [order] = await decode([body], [], await deps.client.serverZoneNow());
      // a line id names a product the event (still) orders
      return order && (id === event || order.lines.some((l) => l.lineId === id)) ? order : undefined;
    },
    async search(criteria: SearchCriteria): Promise<Page<Order>> {
      const b = await boundsOf(criteria);
      if (b.none) return criteria.page ? { items: [], paged: true } : { items: [] };
      if (criteria.page) return onePage({ ...criteria, page: criteria.page }, b);
      return { items: await everyMatch(criteria, b) };
    },
    async submit() {
      throw new MediatorError(422, { code: 'business-rule', diagnostics: RTS_ORDERS_READ_ONLY });
    },
    readOnly: {
      reason: RTS_ORDERS_READ_ONLY,
      holds: (order) => order.orderNumber.system === RTS_EVENT_SYSTEM,
    },
  };
}

/** The orders of a window of lines, each with the lines of it in the window, in order. */
function regroup(window: { o: Order; line: Order['lines'][number] }[]): Order[] {
  const byOrder = new Map<Order, Order['lines']>();
  for (const { o, line } of window) byOrder.set(o, [...(byOrder.get(o) ?? []), line]);
  return [...byOrder].map(([o, lines]) => ({ ...o, lines }));
}

/** Where a page starts: the DHIS2 page (of `size` events) and how many of its lines came before. */
interface Cursor {
  page: number;
  size: number;
  skip: number;
}

function encodeCursor(c: Cursor): string {
  return `${c.page}.${c.size}.${c.skip}`;
}

function decodeCursor(s: string | undefined, count: number): Cursor {
  // the DHIS2 page holds `count` events: at least `count` lines when every event is an order
  if (s === undefined) return { page: 1, size: Math.min(count, 1000), skip: 0 };
  const m = /^(\d{1,7})\.(\d{1,4})\.(\d{1,7})$/.exec(s);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1)
    throw new InvalidInputError(`_cursor '${s}' is not one this server gave`, '_cursor');
  return { page: Number(m[1]), size: Number(m[2]), skip: Number(m[3]) };
}
