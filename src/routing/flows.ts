import { businessKey, unescapedBusinessKey } from '../domain/business-key.js';
import { canonicalJson, contentVersion } from '../domain/ids.js';
import type { Delivery, Facility, Identifier, Order, StockReport } from '../domain/index.js';
import type { FacilityRef } from '../domain/identifiers.js';
import type { JobStatus, OutboxJob } from '../store/types.js';
import type { NumberedJobs } from '../store/numbered-keys.js';
import type { Connector, Page, SearchCriteria, StepJournal, WriteResult } from './ports.js';
import type { Flow, WriteContext } from '../fhir/services.js';
import { writtenDeliveryMatches } from './delivery-match.js';
import { draftOvertaken, type AcceptedAfter } from './delivery-overtaken.js';
import { deliveryWriteLock } from './delivery-write-lock.js';
import { draftJobs, draftMark, draftSavedMeanwhile, numberedDraft } from './delivery-drafts.js';
import { orderRevision, type WrittenOrder } from './order-revision.js';
import { precheckOrderWrite, writeOrder } from './order-writes.js';
import { writeUnderLinkedParent, writeUnderSystemParent, type ParentDeps } from './facility-parent.js';

/**
 * What routing needs to know about each flow, in one table: which connector capability serves
 * it, the business key a write is deduplicated on, the FHIR ids a value answers for, and how a
 * write still in the outbox reads back. Everything else in routing is the same for every flow.
 */
export interface FlowSpec<T> {
  flow: Flow;
  /** Outbox flow name (one job per flow and system). */
  outboxFlow: string;
  /** `listed`: the id is behind a link a search or write recorded (OrderCapability.get). */
  read(c: Connector): ((id: string, listed?: boolean) => Promise<T | undefined>) | undefined;
  search(c: Connector): ((criteria: SearchCriteria) => Promise<Page<T>>) | undefined;
  write(c: Connector): ((value: T, journal: StepJournal) => Promise<WriteResult>) | undefined;
  /** What the write would refuse, checked without writing (connector.ts Prechecks); undefined: nothing to check. */
  precheck(c: Connector): ((value: T, earlier: T[]) => Promise<void>) | undefined;
  /** The business identifier (never the OpenHIM transaction id: a rerun carries a new one). */
  key(value: T): string | undefined;
  /**
   * The key a release before v68 gave the same write, its identifier unescaped
   * (domain/business-key.ts); absent where keys were never escaped. Looked up only where it
   * differs from `key`, and only a job of this very write under it counts (keysOfWrite).
   */
  formerKey?(value: T): string | undefined;
  /**
   * The key also names the version the write replaces (as the system of record now holds it), so
   * going back to an earlier version (active → inactive → active) is a new write, not a duplicate
   * of the first; a retry while the first is pending still finds it. Such writes replace the
   * record, so they also reach the system in the order they were accepted: a write accepted while
   * an earlier one of the same resource waits (a 202, in backoff) is queued behind it, never
   * delivered before it (Outbox.register inOrder); the later one is what the system ends with.
   */
  keyedOnReplaced?: boolean;
  /**
   * A connector whose writes of this flow replace what an earlier one wrote under another key (the
   * writer sets the job's orderKey): they are delivered in the order accepted (Outbox.register
   * inOrder), and a given-up one is not retried over a later one. Implied by keyedOnReplaced.
   */
  inOrder?(c: Connector): boolean;
  /**
   * For a flow `keyedOnReplaced`: what a connector's write finds the record by (orderKeyOf), so
   * writes of one record under two FHIR ids are delivered in order. Absent: the FHIR id. For a flow
   * `inOrder` at a connector: the job's order key where it gives one (none: not ordered).
   */
  writeKey?(c: Connector): ((value: T) => string | undefined) | undefined;
  /** FHIR ids of the resources the value is served as (one per line for orders and R4 deliveries). */
  fhirIds(value: T): string[];
  /**
   * The upstream id the connector reads the value back by, when it gives one other than the
   * value's id: a DHIS2 consignment's id is a one-way hash of its org unit and reference, which
   * its get() cannot read; its source id is them. A search links the ids it lists to this one
   * (RoutedFlow.remember). Absent or undefined: the value's id.
   */
  upstreamId?(value: T): string | undefined;
  /** The value as read while its write waits in the outbox (or failed there). */
  pendingView(value: T, status: JobStatus): T;
  /**
   * A value whose system keeps no time for it carries the time of the read (a live stock
   * snapshot's reportedAt): `without` gives it without that time, so an unchanged value is the same
   * version on every read (one meta.versionId, one first sighting, no store write per read);
   * `at` gives it that time as the first sighting of its version (its meta.lastUpdated).
   */
  readTime?: { without(value: T): T; at(value: T, seenAt: string): T };
  /**
   * The records of this flow a value names by their upstream ids (a facility's parent): a record
   * the mediator wrote is named by the id its write came under (its client's, or a create's), as
   * a search lists it, so a client finds the parent it sent and a read of it gives the record
   * under the id the search lists. `with` gives the value with each id `fhirIdOf` knows replaced.
   */
  writtenRefs?: { ids(value: T): string[]; with(value: T, fhirIdOf: (upstreamId: string) => string | undefined): T };
  /**
   * Records of another flow a value names by ids its system derives (a delivery's order lines,
   * basedOn), each with the upstream object that flow reads it from. A read or search of the
   * value links them (RoutedFlow.remember), so a client following the reference finds the record
   * by id although no search of that flow has listed it yet.
   */
  namedRecords?(value: T): NamedRecord[];
  /**
   * The business key writes of a value with this identifier are recorded under, and whether such a
   * value meets the rest of a search (in its system's terms): a search by the identifier a client
   * wrote under finds what it wrote, though its system lists it under its own (an app's delivery
   * number confirming an OpenMRS transfer or an OpenLMIS proof of delivery). Without a system the
   * key is unknown: the writes under that value in any system are found by `kind`, the key's first
   * part (Store.findJobsByKeyValue).
   */
  writtenUnder?: {
    kind: string;
    key(identifier: { system?: string; value: string }): string | undefined;
    matches(value: T, criteria: SearchCriteria): boolean;
    /**
     * The jobs of other writes recorded under the identifier's key with a mark after it (a
     * delivery's drafts, `|in-progress`…), `jobsUnder(mark)` giving those under one mark and
     * `numberedUnder(mark)` the newest numbered after it (Store.findNumberedJobs); without a
     * system, asked under each key of the value (jobs-written-under.ts).
     */
    alsoUnder?(
      jobsUnder: (mark: string) => Promise<OutboxJob[]>,
      numberedUnder: (mark: string) => Promise<NumberedJobs | undefined>,
    ): Promise<OutboxJob[]>;
    /**
     * The mark of the first write alsoUnder reads (a delivery's first draft): without a system, a
     * key with no unmarked write yet (a delivery drafted, not completed) is known by that one.
     */
    firstMark?: string;
  };
  /**
   * Writes saved again and again before they are final (an in-progress delivery's drafts, each of
   * other content a write of its own): the value numbered as the write it is, from the newest job
   * numbered under a key and the highest number in use (`numberedUnder`, Store.findNumberedJobs)
   * and the outbox's same-write comparison (`same`). Absent: not numbered.
   */
  drafts?(
    value: T,
    numberedUnder: (key: string, identifier: Identifier) => Promise<NumberedJobs | undefined>,
    same: (held: T, sent: T) => boolean,
  ): Promise<T>;
  /**
   * The lock (Store.withLock) a job's delivery holds from its overtaken check to its write's end,
   * so two jobs of one record never read and write it interleaved (delivery-write-lock.ts);
   * undefined: none.
   */
  writeLock?(job: OutboxJob): string | undefined;
  /**
   * A job made moot by a later write of the same record delivered before it (a queued draft whose
   * delivery was completed meanwhile, delivery-overtaken.ts): the result it ends done with, nothing
   * written; undefined: written as usual. Asked before the write, and again when the write is
   * refused 409 (`refused`: refused as its record completed already, CompletedUpstreamError; the
   * later write may have landed while this one was on its way).
   * `writtenTo`: once refused, the writes to the upstream record the refusal named (a later write
   * of the same record under another key).
   */
  overtaken?(
    job: OutboxJob,
    jobsUnder: (key: string) => Promise<OutboxJob[]>,
    refused?: boolean,
    writtenTo?: () => Promise<OutboxJob[]>,
    acceptedAfter?: AcceptedAfter,
  ): Promise<WriteResult | undefined>;
  /**
   * A numbered draft's key found taken for other content when queued (`err`, the outbox's
   * KeyTakenError): another draft took the number meanwhile, told as that (else `err` unchanged).
   */
  draftTaken?(err: unknown, value: T): unknown;
  /**
   * The order lines a write names by id (a delivery's basedOn), and the value naming the order
   * one of them was written to (its link's upstream id): a line an app PUT under its own id is
   * held upstream under ids the system derives, so a write is matched by its order, as a
   * based-on search is (RoutedFlow.inSystemTerms).
   */
  orderLines?: { ids(value: T): string[]; withOrder(value: T, orderId: string): T };
  /**
   * Ids a connector served values of this flow under before (OrderCapability.formerIds,
   * DeliveryCapability.formerIds): for the
   * upstream object a link names and the value read from it, each former id to the id it is now.
   */
  formerIds?(c: Connector): ((upstreamId: string, value: T) => Map<string, string>) | undefined;
  /** What a former id of the connector's was (OrderCapability.formerIdsWhy), for the redirect. */
  formerIdsWhy?(c: Connector): string | undefined;
  /** Every id a former id stands for now (DeliveryCapability.formerIdNow): several, no redirect. */
  formerIdNow?(c: Connector): ((value: T, formerId: string) => Promise<string[]>) | undefined;
  /**
   * A supplier search of the connector links every id it lists, its upstream object's own too
   * (DeliveryCapability.listsThroughCopies): a read by one is then behind a link, which lets the
   * connector look through the supplier's copy, as a read of an unknown id does not.
   */
  linksOwnIds?(c: Connector): boolean;
  /** Overlay client-chosen ids of the written value on what the upstream now holds. */
  withClientIds(upstream: T, written: T): T;
  /**
   * A delivered write reads as it was written: the system keeps it as an event it cannot hand
   * back as this resource (a stock event is not a readable report), so there is no live read.
   */
  keepsWritten?: boolean | ((value: T) => boolean);
  /**
   * An update that changes a value already written is a new revision of it (orders: amendments
   * and cancellations); `written` is the outbox's last write of it. Absent: writes are not revised.
   */
  revise?(value: T, context: WriteContext, written: { value: T; status: JobStatus; system: string } | undefined): T;
  /**
   * What of a value makes two writes under one key the same write: a write whose key the outbox
   * holds for another payload is that write when this is equal for both (acceptAsHeld), and is
   * answered as it. `sent` is the write being accepted: what it does not carry (the line ids an
   * R5 delivery has none of) is not compared. Absent: only the same payload is.
   */
  sameWriteOf?(value: T, sent: T): unknown;
  /** A change of something already upstream: its refusal leaves that in place (reads go on to the upstream). */
  isChange?(value: T): boolean;
  /** What routing.json rules look at: the facility the write is for, its program, the domain path of that facility. */
  routeBy(value: T): RouteBy;
  /**
   * A connector that serves the flow read only (DHIS2 RTS requisitions): why, and which values are
   * its own. Routing takes it as no writer, and refuses a write of one of its values by that reason.
   */
  readOnly?(c: Connector): { reason: string; holds(value: T): boolean } | undefined;
  /**
   * A secondary target's write of the value, made when its job is delivered (so a retry makes it
   * again from what the client sent): facilities name their parent as that system's own area.
   * Absent: `write` of the value as accepted.
   */
  deliverSecondary?(
    system: string,
    value: T,
    deps: ParentDeps,
    write: (value: T) => Promise<WriteResult>,
  ): Promise<WriteResult>;
  /**
   * The system of record's write of the value, made when its job is delivered: facilities name a
   * parent the mediator wrote by that system's id for it. Absent: `write` of the value as accepted.
   */
  deliverPrimary?(
    system: string,
    value: T,
    deps: ParentDeps,
    write: (value: T) => Promise<WriteResult>,
  ): Promise<WriteResult>;
}

/** A record of `flow` a value names by `fhirId`, read from `upstreamId` in the value's own system. */
export interface NamedRecord {
  flow: Flow;
  fhirId: string;
  upstreamId: string;
}

export interface RouteBy {
  facility: FacilityRef | undefined;
  program?: string;
  /** Type codes the value itself carries (a facility write); otherwise looked up when a rule needs them. */
  types?: string[];
  /** Where the facility is, in the connectors' terms the edge turns into the posted FHIRPath. */
  facilityPath: string;
}

const takesOrders = (c: Connector): boolean => !!c.orders && !c.orders.readOnly;

/** A write's business key (domain/business-key.ts: its parts escaped, so no two writes share one). */
const keyOf = (kind: string, id: { system: string; value: string } | undefined) =>
  id ? businessKey(kind, id) : undefined;
/** keyOf as releases before v68 spelled it: the identifier unescaped (FlowSpec.formerKey). */
const unescapedBusinessKeyOf: typeof keyOf = (kind, id) => (id ? unescapedBusinessKey(kind, id) : undefined);
/** An order's key by `keyOfId`: each amendment is its own write under the order's key (order-revision.ts). */
const orderKey = (o: Order, keyOfId: typeof keyOf) =>
  keyOfId('order', o.orderNumber) + (o.revision ? `|rev:${o.revision}` : '');
/** A delivery's key by `keyOfId`: a draft's carries its mark (delivery-drafts.ts). */
const deliveryKey = (d: Delivery, keyOfId: typeof keyOf) =>
  keyOfId('delivery', d.identifier) + (d.status === 'in-progress' ? draftMark(d.draft) : '');
/** A stock report's key by `keyOfId`; without a business identifier its FHIR id (client-chosen on PUT, server-assigned on POST). */
const stockKey = (r: StockReport, keyOfId: typeof keyOf) =>
  keyOfId('stock', r.identifier) ?? (r.id ? `stock-id|${r.id}` : undefined);
const failed = (s: JobStatus) => s === 'rejected' || s === 'dead';
const productKey = (p: { system: string; code: string }) => `${p.system}|${p.code}`;

/** Line ids the client chose, matched to the upstream's lines by product (and lot). */
function overlayLineIds<L extends { lineId?: string; product: { system: string; code: string } }>(
  lines: L[],
  written: L[],
  extra: (l: L) => string = () => '',
): L[] {
  const ids = new Map(written.filter((l) => l.lineId).map((l) => [productKey(l.product) + extra(l), l.lineId!]));
  return lines.map((l) =>
    ids.has(productKey(l.product) + extra(l)) ? { ...l, lineId: ids.get(productKey(l.product) + extra(l)) } : l,
  );
}

/**
 * The client's own spelling of an instant the upstream holds in its own (OpenMRS answers
 * `…05:15:00.000+00:00` for the `…08:15:00+03:00` it was sent): the same instant reads back as
 * sent; another one (changed upstream) as the upstream has it.
 */
function clientSpelling(upstream: string | undefined, written: string | undefined): string | undefined {
  if (!upstream || !written) return upstream;
  return Date.parse(upstream) === Date.parse(written) ? written : upstream;
}

/**
 * What a delivery write states (sameWriteOf), as `sent` states it: without the FHIR id, and
 * without line ids when `sent` has none (an R5 resend of an R4 write, whose lines R5 serves
 * without the ids R4 gave them, or an SDK chose). Lines are still compared item, lot and quantity;
 * without ids, in no order: an R4 write keeps its client's entry order (a PUT line goes last),
 * while R5 serves the lines in the proof of delivery's order.
 */
function confirmationOf({ id: _id, ...confirmation }: Delivery, sent: Delivery): unknown {
  if (sent.lines.some((l) => l.lineId)) return confirmation;
  const lines = confirmation.lines.map(({ lineId: _lineId, ...line }) => canonicalJson(line));
  // the order lines it is based on, too: each R4 line names its own, in the client's entry order
  const basedOn = confirmation.basedOn?.lineIds
    ? { ...confirmation.basedOn, lineIds: [...confirmation.basedOn.lineIds].sort() }
    : confirmation.basedOn;
  return { ...confirmation, basedOn, lines: lines.sort() };
}

export const ORDERS: FlowSpec<Order> = {
  flow: 'orders',
  outboxFlow: 'order',
  read: (c) => c.orders && ((id, listed) => c.orders!.get(id, listed)),
  search: (c) => c.orders && ((q) => c.orders!.search(q)),
  // a read-only order capability is no writer: its orders are raised in the system itself
  write: (c) => (takesOrders(c) ? (v, j) => writeOrder(c.system, c.orders!, v, j) : undefined),
  precheck: (c) => (takesOrders(c) ? (v, earlier) => precheckOrderWrite(c.system, c.orders!, v, earlier) : undefined),
  readOnly: (c) => c.orders?.readOnly,
  key: (o) => orderKey(o, keyOf),
  formerKey: (o) => orderKey(o, unescapedBusinessKeyOf),
  revise: (v, context, written) => orderRevision(v, context, written as WrittenOrder | undefined),
  isChange: (o) => !!o.revision,
  // a cancelled order may be gone upstream (OpenLMIS deletes the requisition): it reads as written
  keepsWritten: (o) => o.status === 'cancelled',
  fhirIds: (o) => o.lines.map((l) => l.lineId).filter((id): id is string => !!id),
  formerIds: (c) => c.orders?.formerIds && ((upstreamId, o) => c.orders!.formerIds!(upstreamId, o)),
  formerIdsWhy: (c) => c.orders?.formerIdsWhy,
  // Not yet at the LMIS: a draft; given up or refused there: entered-in-error (never "active").
  pendingView: (o, s) => ({ ...o, status: failed(s) ? 'entered-in-error' : 'draft' }),
  withClientIds: (u, w) => ({
    ...u,
    orderNumber: w.orderNumber,
    authoredOn: clientSpelling(u.authoredOn, w.authoredOn),
    lines: overlayLineIds(u.lines, w.lines),
  }),
  routeBy: (o) => ({ facility: o.facility, program: o.program, facilityPath: 'Order.facility' }),
};

export const DELIVERIES: FlowSpec<Delivery> = {
  flow: 'deliveries',
  outboxFlow: 'delivery',
  read: (c) => c.deliveries && ((id, listed) => c.deliveries!.get(id, listed)),
  search: (c) => c.deliveries && ((q) => c.deliveries!.search(q)),
  write: (c) => c.deliveries && ((v, j) => c.deliveries!.confirm(v, j)),
  precheck: (c) => c.deliveries?.precheck && ((v, earlier) => c.deliveries!.precheck!(v, earlier)),
  // an in-progress write (a proof of delivery's draft saved, DHIS2's events left active) is a write
  // of its own: the confirmation of the same delivery after it is not "another payload" (409);
  // so is each draft of other content (numbered, delivery-drafts.ts)
  key: (d) => deliveryKey(d, keyOf),
  formerKey: (d) => deliveryKey(d, unescapedBusinessKeyOf),
  drafts: (d, numberedUnder, same) =>
    numberedDraft(d, (mark) => numberedUnder(keyOf('delivery', d.identifier) + mark, d.identifier), same),
  draftTaken: draftSavedMeanwhile,
  writeLock: deliveryWriteLock,
  overtaken: (job, jobsUnder, refused, writtenTo, acceptedAfter) =>
    draftOvertaken(job, completionKeys(job), jobsUnder, refused, writtenTo, acceptedAfter),
  fhirIds: (d) => [...(d.id ? [d.id] : []), ...d.lines.map((l) => l.lineId).filter((id): id is string => !!id)],
  upstreamId: (d) => d.source?.id,
  // A confirmation not yet applied upstream leaves the delivery in progress. An R4 write has the
  // id of what it built on (an R4 line PUT of a proof of delivery: the POD's), else none (a POST,
  // a PUT under an app's id: the upstream's is kept once delivered, withClientIds), yet R5 serves
  // it as one resource: then under its first line's id, the id its write came under, never none
  // (a searchset's fullUrl `SupplyDelivery/undefined`); once delivered that id redirects to the
  // upstream's. (Its lines are in its client's entry order: an R5 resend is compared in any order.)
  pendingView: (d, s) => ({
    ...d,
    id: d.id ?? d.lines[0]?.lineId,
    status: failed(s) ? 'entered-in-error' : 'in-progress',
  }),
  withClientIds: (u, w) => ({
    ...u,
    id: w.id ?? u.id,
    identifier: w.identifier,
    lines: overlayLineIds(u.lines, w.lines, (l) => `|${l.lot?.number ?? ''}`),
  }),
  // the order lines it is based on, read as the order they belong to
  namedRecords: (d) =>
    d.basedOn?.orderId
      ? (d.basedOn.lineIds ?? []).map((fhirId) => ({ flow: 'orders', fhirId, upstreamId: d.basedOn!.orderId! }))
      : [],
  writtenUnder: {
    kind: 'delivery',
    key: ({ system, value }) => (system ? keyOf('delivery', { system, value }) : undefined),
    matches: writtenDeliveryMatches,
    alsoUnder: draftJobs,
    firstMark: draftMark(1),
  },
  orderLines: {
    ids: (d) => (d.basedOn?.orderId ? [] : (d.basedOn?.lineIds ?? [])),
    withOrder: (d, orderId) => ({ ...d, basedOn: { ...d.basedOn, orderId } }),
  },
  formerIds: (c) => c.deliveries?.formerIds && ((upstreamId, d) => c.deliveries!.formerIds!(upstreamId, d)),
  formerIdsWhy: (c) => c.deliveries?.formerIdsWhy,
  formerIdNow: (c) => c.deliveries?.formerIdNow && ((d, id) => c.deliveries!.formerIdNow!(d, id)),
  linksOwnIds: (c) => !!c.deliveries?.listsThroughCopies,
  // a confirmation is its delivery (the key: its identifier) and what it states; its FHIR id is
  // the way it came (a PUT's URL id, the id a POST's identifier derives): a PUT and then a POST of
  // one confirmation (an app that lost the PUT's answer falls back to POST) are one write
  sameWriteOf: confirmationOf,
  routeBy: (d) => ({ facility: d.destination, facilityPath: 'Delivery.destination' }),
};

export const STOCK: FlowSpec<StockReport> = {
  flow: 'stock',
  outboxFlow: 'stock',
  read: (c) => c.stock?.get && ((id) => c.stock!.get!(id)),
  search: (c) => c.stock && ((q) => c.stock!.search(q)),
  write: (c) => c.stock && ((v, j) => c.stock!.report(v, j)),
  precheck: (c) => c.stock?.precheck && ((v, earlier) => c.stock!.precheck!(v, earlier)),
  key: (r) => stockKey(r, keyOf),
  formerKey: (r) => stockKey(r, unescapedBusinessKeyOf),
  fhirIds: (r) => (r.id ? [r.id] : []),
  pendingView: (r, s) => ({ ...r, status: failed(s) ? 'entered-in-error' : 'requested' }),
  withClientIds: (u, w) => ({ ...u, id: w.id ?? u.id, identifier: w.identifier ?? u.identifier }),
  keepsWritten: true,
  readTime: {
    without: (r) => (r.reportedAtIsRead ? { ...r, reportedAt: '' } : r),
    at: (r, seenAt) => (r.reportedAtIsRead ? { ...r, reportedAt: seenAt, reportedAtIsRead: undefined } : r),
  },
  // DHIS2 data values: the stock bridge's writes of one org unit and period (stock-to-dhis2.ts),
  // and difference reports adding to a period's totals (their writeKey)
  inOrder: (c) => (c.stock as { replacesValues?: boolean } | undefined)?.replacesValues === true,
  writeKey: (c) => c.stock?.writeKey && ((r) => c.stock!.writeKey!(r)),
  routeBy: (r) => ({
    facility: r.facility,
    program: r.program,
    facilityPath: 'InventoryReport.inventoryListing[0].location',
  }),
};

export const FACILITIES: FlowSpec<Facility> = {
  flow: 'facilities',
  outboxFlow: 'facility',
  read: (c) => c.facilities && ((id) => c.facilities!.get(id)),
  search: (c) => c.facilities && ((q) => c.facilities!.search(q)),
  write: (c) => c.facilities?.upsert && ((v, j) => c.facilities!.upsert!(v, j)),
  precheck: () => undefined,
  // Facilities change over time: the same update twice is one write, a new version is another.
  // (unescaped, as before v68: the content version ends it, and the content holds the identifiers,
  // so two facilities never share one; escaped, a facility's next write would not find its last)
  key: (f) =>
    `facility|${f.id ?? unescapedBusinessKeyOf('', f.identifiers[0])}|${contentVersion({ ...f, lastUpdated: undefined })}`,
  keyedOnReplaced: true,
  writeKey: (c) => c.facilities?.writeKey && ((f) => c.facilities!.writeKey!(f)),
  fhirIds: (f) => (f.id ? [f.id] : []),
  pendingView: (f) => f,
  withClientIds: (u, w) => ({ ...u, id: w.id ?? u.id }),
  deliverSecondary: writeUnderSystemParent,
  deliverPrimary: writeUnderLinkedParent,
  writtenRefs: {
    ids: (f) => (f.partOf ? [f.partOf] : []),
    with: (f, fhirIdOf) => {
      const parent = f.partOf && fhirIdOf(f.partOf);
      return parent && parent !== f.partOf ? { ...f, partOf: parent } : f;
    },
  },
  routeBy: (f) => ({
    facility: { id: f.id, identifier: f.identifiers[0], display: f.name },
    types: (f.types ?? []).map((t) => t.code),
    facilityPath: 'Location',
  }),
};

/**
 * The keys a delivery job's completion to the job's system may be under: the delivery's (the
 * system of record's job) and that system's secondary copy (key|system, a completion fanned out
 * to DHIS2). Both, whatever the draft's own key: the facility's routing may change between the
 * draft and its completion (DHIS2 the system of record for the draft, a secondary target for the
 * completion, or the other way round), and a completion read under the draft's kind of key alone
 * was missed, so the draft was sent after it and reopened what it completed. draftOvertaken keeps
 * only the jobs to the draft's own system.
 */
function completionKeys(job: OutboxJob): string[] {
  const { identifier } = job.payload as Delivery;
  // each as this release keys it, and as one before v68 did (an instance of it still running)
  const keys = [keyOf('delivery', identifier), unescapedBusinessKeyOf('delivery', identifier)];
  return [...new Set(keys.filter((k): k is string => !!k))].flatMap((key) => [key, secondaryKey(key, job.system)]);
}

/** The business key of a secondary target's job: the write's own, for that system. */
export function secondaryKey(key: string, system: string): string {
  return `${key}|${system}`;
}

/**
 * The keys a write of `value` may be held under: its own, and the one a release before v68 gave
 * it where that differs (FlowSpec.formerKey): v68 rekeyed what was stored, but an instance of an
 * older release still running after it keys as before. The former key may be another write's
 * (DL-1's copy for DHIS2 was `…|DL-1|dhis2`, delivery `DL-1|dhis2`'s key): a job found under it is
 * this write's only when its payload's own key is `value`'s (the caller checks: heldAsWriteOf).
 */
export function keysOfWrite<T>(spec: Pick<FlowSpec<T>, 'key' | 'formerKey'>, value: T): string[] {
  const key = spec.key(value);
  if (!key) return [];
  const former = formerKeyOf(spec, value, key);
  return former ? [key, former] : [key];
}

/**
 * The key a release before v68 gave the write of `value` whose key is `key`, where it differs.
 * Every write asks (routed-flow's keyHeld), nearly all of an identifier with neither '|' nor '%':
 * its key holds no escape ('%'), so it is spelled as before, and nothing more is built for it.
 */
export function formerKeyOf<T>(spec: Pick<FlowSpec<T>, 'formerKey'>, value: T, key: string): string | undefined {
  if (!key.includes('%')) return undefined;
  const former = spec.formerKey?.(value);
  return former !== key ? former : undefined;
}

/** Whether `job` is a write of the same key as `value`'s (held under its former key, keysOfWrite). */
export function heldAsWriteOf<T>(spec: Pick<FlowSpec<T>, 'key'>, job: OutboxJob, value: T): boolean {
  return spec.key(job.payload as T) === spec.key(value);
}
