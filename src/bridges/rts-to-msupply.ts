import { ConflictError, NotConfiguredError } from '../domain/errors.js';
import type { Delivery, Order } from '../domain/index.js';
import type { JobResult, ScheduledJob } from '../jobs/scheduler.js';
import type { Outbox } from '../outbox/outbox.js';
import type { WriteOutcome } from '../outbox/types.js';
import type { Connector } from '../routing/ports.js';
import type { Store } from '../store/types.js';
import type { Dhis2Connector } from '../systems/dhis2/index.js';
import type { UnreadableReceipt } from '../systems/dhis2/receipts.js';
import type { SkippedRequisition } from '../systems/dhis2/requisitions.js';
import { RTS_EVENT_SYSTEM } from '../systems/dhis2/rts.js';
import { UTC, wallTimeIn } from '../systems/dhis2/server-time.js';
import type { MsupplyConnector } from '../systems/msupply/index.js';
import { SHIPMENT_SYSTEM } from '../systems/msupply/identifiers.js';
import type { SupplyingStores } from './rts-supplier.js';
import { rtsRunDetail, type RejectedWrite } from './rts-run-detail.js';
import { supplierOf } from './rts-supplying-stores.js';
import { planConsignment, readAgain, reaskUntil } from './rts-consign-reask.js';
import { markOf, saveMark } from './rts-mark-zone.js';

/**
 * DHIS2 RTS requisitions fulfilled by Open mSupply (issue 15; mSupply's "DHIS2 LMIS
 * integration", docs.msupply.org.nz `integration:dhis2_lmis_integration`), in three phases per
 * run, each read through one connector and written through the outbox to the other, each with a
 * high-water mark of its own:
 * 1. requisition events the facilities completed → Orders → response requisitions in the
 *    facility's supplying Open mSupply store, chosen by routing.json `supplyingStores` (rts-supplier.ts)
 *    and carried in the payload as `Order.supplier` (flow `fulfil`, system `msupply`; key: the event UID);
 *    a requisition whose store is unknown is held, with the reason, and the mark waits for it;
 * 2. outbound shipments of each supplying store made against those requisitions → consignment
 *    events at the facility in DHIS2 (flow `consign`, system `dhis2`; key: the shipment);
 * 3. those consignments, once the facility completed them (scanned into RTS) → the units received
 *    written back to RTS as the facility's stock (flow `receive`, system `dhis2`; key: the
 *    consignment at its facility); a consignment or a receipt DHIS2 refused for what its
 *    administrator fixes, during the run or later to the outbox worker, is read and sent again by
 *    the next runs, for a bounded time (rts-consign-reask.ts); and where the facility is itself an Open mSupply store, the
 *    inbound shipment Open mSupply made there confirmed with those units (flow `receive`, system
 *    `msupply`; key: the shipment).
 * A mark is stored only after what it covers is in the outbox and is read back with an overlap, so
 * a run that dies anywhere re-reads at most what it had not finished, and the keys make that
 * re-read add nothing.
 */
export const RTS_FULFIL_FLOW = 'fulfil';
export const RTS_CONSIGN_FLOW = 'consign';
export const RTS_REQUISITIONS_CURSOR = 'bridge.rtsToMsupply.requisitions';
export const RTS_SHIPMENTS_CURSOR = 'bridge.rtsToMsupply.shipments';
export const RTS_RECEIVE_FLOW = 'receive';
export const RTS_RECEIPTS_CURSOR = 'bridge.rtsToMsupply.receipts';
export { RTS_STORES_CURSOR } from './rts-supplying-stores.js';
/**
 * Events are re-read this far behind the mark: an event DHIS2 commits with an `updatedAt` a little
 * older than one already read (a long transaction, another server node) is still found.
 */
export const RTS_OVERLAP_MS = 10 * 60_000;

export const NO_REQUISITION_PROGRAM = 'no DHIS2 requisition program configured (dhis2.requisitionProgram)';
export const NO_MSUPPLY = 'no Open mSupply connector configured (msupply.baseUrl)';

export interface RtsBridgeDeps {
  store: Store;
  outbox: Outbox;
  connectors: () => Connector[];
  /** How long each write waits for Open mSupply before it is left to the outbox worker (default: the outbox's). */
  deadlineMs?: number;
  /** routing.json `supplyingStores` (default: the active mappings' file). */
  supplyingStores?: () => SupplyingStores | undefined;
}

/** A requisition not sent, and why: shown by the CLI and kept in the run's counts (`held`). */
export interface HeldRequisition {
  event: string;
  facility: string;
  reason: string;
}

export interface RtsRunResult extends JobResult {
  held?: HeldRequisition[];
  /**
   * Completed requisition events that are no order (an org unit without a code, a quantity that is
   * no whole number, an item products.json lacks, nothing above zero), and why: never sent, read
   * again once the facility edits the event.
   */
  skippedRequisitions?: SkippedRequisition[];
  /** Supplying stores whose shipments could not be read this run, and why. */
  unreadStores?: { store: string; reason: string }[];
  /** Consignments completed without saying what arrived (receipts.ts), not written back: and why. */
  unreadableReceipts?: UnreadableReceipt[];
}

export type RtsCounts = Record<
  'pages' | 'read' | 'created' | 'queued' | 'already' | 'rejected' | 'skipped' | 'changedAfterSent' | 'held',
  number
>;
/** The shipments phase: shipped against a DHIS2 requisition, and what became of each consignment write. */
export type ConsignCounts = Record<'shipped' | 'consigned' | 'queued' | 'already' | 'rejected' | 'reasked', number>;

/** The receipts phase: consignments of the bridge's shipments the facilities completed, and their write-back. */
export type ReceiptCounts = Record<
  'received' | 'written' | 'queued' | 'already' | 'rejected' | 'reasked' | 'unreadable',
  number
>;

/** Receipts at a facility that is an Open mSupply store: its inbound shipment confirmed. */
export type InboundCounts = Record<'confirmed' | 'queued' | 'already' | 'rejected', number>;

/** The idempotency key of the confirmation of the inbound shipment an outbound one made at a customer's store. */
export const confirmInboundKey = (shipmentId: string) => `confirm-inbound|${SHIPMENT_SYSTEM}|${shipmentId}`;

export const NO_CONSIGNMENT_PROGRAM = 'no DHIS2 consignment program configured (dhis2.consignmentProgram)';

const dhis2Of = (cs: Connector[]) => cs.find((c) => c.system === 'dhis2') as Dhis2Connector | undefined;
const msupplyOf = (cs: Connector[]) =>
  cs.find((c): c is MsupplyConnector => c.system === 'msupply' && 'fulfilment' in c);

/** The idempotency key of a requisition's fulfilment: its order number (the DHIS2 event UID). */
export const fulfilKey = (o: Pick<Order, 'orderNumber'>) => `fulfil|${o.orderNumber.system}|${o.orderNumber.value}`;

/**
 * What is written: the order without its read time, so the same event read again (a re-read
 * after a kill, the overlap) is the same payload, while an edited event is a different one.
 */
const payloadOf = (o: Order): Order => ({ ...o, lastUpdated: undefined });

/** A timestamp moved back by `ms`, in the same notation (DHIS2's has no zone; Open mSupply's ends in Z). */
export function earlier(stamp: string, ms: number): string {
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(stamp);
  const t = Date.parse(zoned ? stamp : `${stamp}Z`);
  if (!Number.isFinite(t)) return stamp;
  const iso = new Date(t - ms).toISOString();
  return zoned ? iso : iso.replace(/Z$/, '');
}

/** The idempotency key of a consignment's receipt written back to RTS: the consignment at its facility. */
export const receiveKey = (d: Pick<Delivery, 'identifier' | 'destination'>) =>
  `receive|${d.identifier.system}|${d.destination.id ?? ''}|${d.identifier.value}`;

/** The idempotency key of a shipment's consignment in DHIS2: the shipment. */
export const consignKey = (d: Pick<Delivery, 'identifier'>) => `consign|${d.identifier.system}|${d.identifier.value}`;

/** The delivery of the bridge's jobs (fulfil, consign, receive): the connector configured when each is delivered. */
export function registerRtsHandlers(outbox: Outbox, connectors: () => Connector[]): void {
  outbox.register(RTS_FULFIL_FLOW, 'msupply', (job, journal) => {
    const msupply = msupplyOf(connectors());
    if (!msupply) throw new NotConfiguredError('fulfilment of DHIS2 requisitions', ['msupply']);
    return msupply.fulfilment.respond(job.payload as Order, journal);
  });
  outbox.register(RTS_CONSIGN_FLOW, 'dhis2', (job, journal) => {
    const consignments = dhis2Of(connectors())?.deliveries;
    if (!consignments) throw new NotConfiguredError('DHIS2 consignments', ['dhis2.consignmentProgram']);
    return consignments.confirm(job.payload as Delivery, journal);
  });
  outbox.register(RTS_RECEIVE_FLOW, 'msupply', (job, journal) => {
    const msupply = msupplyOf(connectors());
    if (!msupply) throw new NotConfiguredError('confirmation of inbound shipments', ['msupply']);
    return msupply.fulfilment.confirmReceipt(job.payload as Delivery, journal);
  });
  outbox.register(RTS_RECEIVE_FLOW, 'dhis2', (job, journal) => {
    const receipts = dhis2Of(connectors())?.receipts;
    if (!receipts) throw new NotConfiguredError('RTS receipts', ['dhis2.consignmentProgram']);
    return receipts.record(job.payload as Delivery, journal);
  });
}

function kindOf(outcome: WriteOutcome): 'already' | 'done' | 'queued' | 'rejected' {
  return outcome.kind === 'duplicate' ? 'already' : outcome.kind;
}

function tally(counts: RtsCounts, outcome: WriteOutcome): void {
  const kind = kindOf(outcome);
  counts[kind === 'done' ? 'created' : kind]++;
}

/** Each supplying store's own shipments mark (its clock and sync lag are its own). */
export const shipmentsCursorOf = (storeCode: string) => `${RTS_SHIPMENTS_CURSOR}|${storeCode}`;

/**
 * Shipments made against those requisitions → consignment events in DHIS2 at the facility (one
 * per line, ACTIVE until the facility scans and completes them in RTS), through the outbox (flow
 * `consign`, system `dhis2`), keyed on the shipment. Every store the rules can choose is read,
 * each from its own high-water mark (the shipped time); a store that cannot be read is reported
 * and the others go on. A consignment DHIS2 refused for what its administrator fixes, or one
 * still queued (DHIS2 may refuse it so to the outbox worker), holds the store's mark at its
 * shipment, so the next runs read it again and ask DHIS2 once each, for a bounded time
 * (rts-consign-reask.ts).
 */
async function consignShipments(
  deps: RtsBridgeDeps,
  msupply: MsupplyConnector,
  storeCodes: string[],
  unread: NonNullable<RtsRunResult['unreadStores']>,
  rejected: RejectedWrite[],
  /** The job's lock's: lost, no consignment nor mark is written after (runRtsToMsupply). */
  signal: AbortSignal,
): Promise<ConsignCounts | string> {
  if (!dhis2Of(deps.connectors())?.deliveries) return NO_CONSIGNMENT_PROGRAM;
  const counts: ConsignCounts = { shipped: 0, consigned: 0, queued: 0, already: 0, rejected: 0, reasked: 0 };
  for (const code of storeCodes) {
    const why = await msupply.fulfilment.cannotSupply(code);
    if (why) {
      unread.push({ store: code, reason: why });
      continue;
    }
    const cursor = shipmentsCursorOf(code);
    // the mark of the one store read before stores were per facility carries over to it
    const mark =
      (await deps.store.getCursor(cursor)) ??
      (code === msupply.fulfilment.defaultStore() ? await deps.store.getCursor(RTS_SHIPMENTS_CURSOR) : undefined);
    const read = await msupply.fulfilment.shipments(mark ? earlier(mark, RTS_OVERLAP_MS) : undefined, code);
    // the oldest shipment whose consignment the next run asks DHIS2 again: the mark never passes it
    let floor: string | undefined;
    for (const delivery of read.deliveries) {
      if (delivery.basedOn?.orderNumber?.system !== RTS_EVENT_SYSTEM) continue;
      counts.shipped++;
      signal.throwIfAborted();
      const held = await consignOne(deps, delivery, counts, rejected);
      if (held && delivery.occurredAt && (!floor || delivery.occurredAt < floor)) floor = delivery.occurredAt;
    }
    const next = floor && read.highWater && floor < read.highWater ? floor : read.highWater;
    signal.throwIfAborted();
    if (next && (!mark || next > mark)) await deps.store.setCursor(cursor, next);
  }
  return counts;
}

/**
 * One shipment's consignment through the outbox (writeAskingAgain). True when the next run reads
 * the shipment again: DHIS2 refused it for what its administrator fixes, or it is still queued.
 */
async function consignOne(
  deps: RtsBridgeDeps,
  delivery: Delivery,
  counts: ConsignCounts,
  rejected: RejectedWrite[],
): Promise<boolean> {
  const what = `consignment of shipment ${delivery.identifier.value} at ${placeOf(delivery)}`;
  const sent = await writeAskingAgain(deps, RTS_CONSIGN_FLOW, consignKey(delivery), delivery, what, rejected);
  counts[sent.kind === 'done' ? 'consigned' : sent.kind]++;
  if (sent.reasked) counts.reasked++;
  return sent.readAgain;
}

/** What became of one of the bridge's writes to DHIS2 (a consignment, a receipt). */
interface AskedWrite {
  kind: 'already' | 'done' | 'queued' | 'rejected';
  /** Sent again after a refusal its administrator fixes (rts-consign-reask.ts). */
  reasked: boolean;
  /** The next run reads it again: refused for what the administrator fixes, or still queued. */
  readAgain: boolean;
}

/**
 * One write to DHIS2 through the outbox, unless DHIS2 refused it before and the bridge no longer
 * asks (its job is the operator's to retry): a refusal is listed in `rejected`, with until when
 * the next runs ask again when they do.
 */
async function writeAskingAgain(
  deps: RtsBridgeDeps,
  flow: string,
  key: string,
  payload: Delivery,
  what: string,
  rejected: RejectedWrite[],
): Promise<AskedWrite> {
  const jobs = await deps.outbox.findByKey(key);
  const plan = planConsignment(jobs, Date.now());
  if (plan.kind === 'leave') return { kind: 'already', reasked: false, readAgain: false };
  try {
    const outcome = await deps.outbox.acceptWrite({
      flow,
      system: 'dhis2',
      idempotencyKey: key,
      payload,
      deadlineMs: deps.deadlineMs,
    });
    const until = plan.kind === 'reask' ? plan.until : reaskUntil(jobs[0]?.createdAt ?? Date.now());
    const again = readAgain(outcome, until, Date.now());
    if (outcome.kind === 'rejected')
      rejected.push({
        what,
        job: outcome.jobId,
        reason: outcome.error.message,
        ...(again ? { askedAgainUntil: new Date(until).toISOString() } : {}),
      });
    // a run beside this one may have taken the key over first: then this is its duplicate
    return { kind: kindOf(outcome), reasked: plan.kind === 'reask' && outcome.kind !== 'duplicate', readAgain: again };
  } catch (err) {
    // changed after it was written (a shipped shipment does not change in Open mSupply; a
    // facility may edit a completed consignment): the first write stands
    if (!(err instanceof ConflictError)) throw err;
    return { kind: 'already', reasked: false, readAgain: false };
  }
}

/**
 * A received consignment whose customer is itself an Open mSupply store: the inbound shipment
 * Open mSupply's transfer made there is confirmed with what the facility recorded, once (key: the
 * shipment). Looked up only while the key is free, so a re-read costs no Open mSupply call.
 */
async function confirmInbound(
  deps: RtsBridgeDeps,
  msupply: MsupplyConnector,
  receipt: Delivery,
  consigned: Delivery,
  counts: InboundCounts,
): Promise<void> {
  const shipmentId = receipt.identifier.value;
  const key = confirmInboundKey(shipmentId);
  if ((await deps.outbox.findByKey(key)).length) {
    counts.already++;
    return;
  }
  const supplierId = consigned.supplier?.id;
  if (!supplierId || !(await msupply.fulfilment.receivingStore(shipmentId, supplierId))) return;
  try {
    const kind = kindOf(
      await deps.outbox.acceptWrite({
        flow: RTS_RECEIVE_FLOW,
        system: 'msupply',
        idempotencyKey: key,
        payload: {
          ...receipt,
          identifier: { system: SHIPMENT_SYSTEM, value: shipmentId },
          supplier: consigned.supplier,
        } satisfies Delivery,
        deadlineMs: deps.deadlineMs,
      }),
    );
    counts[kind === 'done' ? 'confirmed' : kind]++;
  } catch (err) {
    // the facility edited a completed consignment: the first confirmation stands
    if (!(err instanceof ConflictError)) throw err;
    counts.already++;
  }
}

/**
 * Consignments the facilities completed (scanned into RTS) → their stock written back to RTS,
 * through the outbox (flow `receive`, system `dhis2`), keyed on the consignment at its facility;
 * and the inbound shipment confirmed where the facility is an Open mSupply store. Only
 * consignments of shipments this bridge consigned: their reference is the shipment id, and its
 * `consign` key is in the outbox. Its own high-water mark: the events' update time, held like the
 * shipments' at a receipt DHIS2 refused for what its administrator fixes or one still queued.
 */
async function writeBackReceipts(
  deps: RtsBridgeDeps,
  msupply: MsupplyConnector,
  rejected: RejectedWrite[],
  unreadable: UnreadableReceipt[],
  /** The job's lock's: lost, no receipt, confirmation nor mark is written after (runRtsToMsupply). */
  signal: AbortSignal,
): Promise<{ receipts: ReceiptCounts; inbounds: InboundCounts } | undefined> {
  const dhis2 = dhis2Of(deps.connectors());
  const receipts = dhis2?.receipts;
  if (!receipts) return undefined;
  // asked for this phase, not taken from the run's start: DHIS2 restarted in another zone since
  // (during the requisitions or consignments phase) gave receipts times hours off
  const { zone, serverNow } = await serverClockOf(dhis2);
  const counts: ReceiptCounts = {
    received: 0,
    written: 0,
    queued: 0,
    already: 0,
    rejected: 0,
    reasked: 0,
    unreadable: 0,
  };
  const inbounds: InboundCounts = { confirmed: 0, queued: 0, already: 0, rejected: 0 };
  // the phase's zone, not the process's first: the mark is read and sent in the zone it asked
  const mark = await markOf(deps.store, RTS_RECEIPTS_CURSOR, zone, serverNow);
  const read = await receipts.completed(mark ? earlier(mark, RTS_OVERLAP_MS) : undefined, zone);
  // only the bridge's own consignments: their shipment's consignment is in the outbox
  for (const u of read.unreadable) {
    const shipment = { identifier: { system: SHIPMENT_SYSTEM, value: u.consignment } };
    if (!(await deps.outbox.findByKey(consignKey(shipment))).length) continue;
    counts.unreadable++;
    unreadable.push(u);
  }
  // the oldest receipt the next run asks DHIS2 again (or finds settled): the mark never passes it
  let floor: string | undefined;
  for (const delivery of read.deliveries) {
    const shipment = { identifier: { system: SHIPMENT_SYSTEM, value: delivery.identifier.value } };
    const [consigned] = await deps.outbox.findByKey(consignKey(shipment));
    if (!consigned) continue;
    counts.received++;
    const what = `receipt of consignment ${delivery.identifier.value} at ${placeOf(delivery)}`;
    signal.throwIfAborted();
    const sent = await writeAskingAgain(deps, RTS_RECEIVE_FLOW, receiveKey(delivery), delivery, what, rejected);
    counts[sent.kind === 'done' ? 'written' : sent.kind]++;
    if (sent.reasked) counts.reasked++;
    const at =
      delivery.lastUpdated && read.highWater
        ? inMarkNotation(delivery.lastUpdated, read.highWater, read.zone)
        : undefined;
    if (sent.readAgain && at && (!floor || at < floor)) floor = at;
    signal.throwIfAborted();
    await confirmInbound(deps, msupply, delivery, consigned.payload as Delivery, inbounds);
  }
  const next = floor && read.highWater && floor < read.highWater ? floor : read.highWater;
  signal.throwIfAborted();
  if (next && (!mark || next > mark)) await saveMark(deps.store, RTS_RECEIPTS_CURSOR, next, read.zone, serverNow);
  return { receipts: counts, inbounds };
}

/**
 * DHIS2's zone and clock as a phase asks them (serverZoneNow: reused ZONE_REUSE_MS). Asked again
 * each run and each phase: DHIS2 restarted in a zone west of its old one while the mediator ran
 * on gave new events wall times before a mark read in the old zone, skipped for hours. DHIS2's
 * clock, not ours: after a move west a mark is held at its wall time now (rts-mark-zone.ts), and
 * one taken from a clock ahead of DHIS2's passed what it stamped after the run.
 */
async function serverClockOf(dhis2: Dhis2Connector): Promise<{ zone: string; serverNow: number }> {
  const zone = await dhis2.serverZoneNow();
  return { zone, serverNow: (await dhis2.serverNow()) ?? Date.now() };
}

/**
 * An instant as the feed's marks write it: DHIS2's have no zone and are wall time in its server's
 * `zone` (server-time.ts). Written as UTC wall time, a receipt's mark on a server west of UTC
 * (Bogotá, -05:00) read hours later than the feed's, so the floor of a receipt to ask again never
 * held the mark back, and the next run, reading from the mark, never found that receipt again.
 * The same held a requisition held for want of a supplying store (its feed gives its zone too).
 */
const inMarkNotation = (iso: string, like: string, zone: string = UTC) =>
  /[zZ]|[+-]\d\d:?\d\d$/.test(like) ? iso : wallTimeIn(Date.parse(iso), zone);

const withDetail = (detail: string | undefined) => (detail ? { detail } : {});

/** A delivery's destination as an operator knows it: its code, else its id. */
const placeOf = (delivery: Delivery) =>
  delivery.destination.identifier?.value ?? delivery.destination.id ?? 'its facility';

/** One run: completed requisition events since the mark → response requisitions, through the outbox. */
export async function runRtsToMsupply(
  deps: RtsBridgeDeps,
  signal: AbortSignal = new AbortController().signal,
): Promise<RtsRunResult> {
  const connectors = deps.connectors();
  const dhis2 = dhis2Of(connectors);
  const feed = dhis2?.requisitions;
  if (!dhis2 || !feed) return { skipped: NO_REQUISITION_PROGRAM };
  const msupply = msupplyOf(connectors);
  if (!msupply) return { skipped: NO_MSUPPLY };
  const counts: RtsCounts = {
    pages: 0,
    read: 0,
    created: 0,
    queued: 0,
    already: 0,
    rejected: 0,
    skipped: 0,
    changedAfterSent: 0,
    held: 0,
  };
  const held: HeldRequisition[] = [];
  const skipped: SkippedRequisition[] = [];
  const suppliers = supplierOf(deps, msupply, dhis2);
  const { zone, serverNow } = await serverClockOf(dhis2);
  let mark = await markOf(deps.store, RTS_REQUISITIONS_CURSOR, zone, serverNow);
  // the oldest held requisition's update time: the mark never passes it, so it is read again
  let floor: string | undefined;
  for await (const page of feed.completed(mark ? earlier(mark, RTS_OVERLAP_MS) : undefined, undefined, zone)) {
    counts.pages++;
    counts.read += page.orders.length + page.skipped.length;
    counts.skipped += page.skipped.length;
    skipped.push(...page.skipped);
    for (const order of page.orders) {
      signal.throwIfAborted(); // the job's lock lost to another instance, whose run goes on from the mark
      const choice = await suppliers.choose(order);
      if ('held' in choice) {
        // accepted before the rules changed: it stays what it was
        if ((await deps.outbox.findByKey(fulfilKey(order))).length) {
          counts.already++;
          continue;
        }
        counts.held++;
        held.push({
          event: order.orderNumber.value,
          facility: order.facility.identifier?.value ?? order.facility.id ?? '?',
          reason: choice.held,
        });
        const at =
          order.lastUpdated && page.highWater
            ? inMarkNotation(order.lastUpdated, page.highWater, page.zone)
            : undefined;
        if (at && (!floor || at < floor)) floor = at;
        continue;
      }
      try {
        tally(
          counts,
          await deps.outbox.acceptWrite({
            flow: RTS_FULFIL_FLOW,
            system: 'msupply',
            idempotencyKey: fulfilKey(order),
            payload: { ...payloadOf(order), supplier: choice.supplier },
            deadlineMs: deps.deadlineMs,
          }),
        );
      } catch (err) {
        // the event was edited after its requisition was made: mSupply keeps what it was sent
        if (!(err instanceof ConflictError)) throw err;
        counts.changedAfterSent++;
      }
    }
    // every order of the page is in the outbox or held: the mark moves past it, up to the oldest
    // held one (never back: an overlapping run may be ahead)
    const next = floor && page.highWater && floor < page.highWater ? floor : page.highWater;
    signal.throwIfAborted(); // lost during the page's last write: its mark is the other run's to move
    if (next && (!mark || next > mark)) {
      mark = await saveMark(deps.store, RTS_REQUISITIONS_CURSOR, next, page.zone ?? zone, serverNow);
    }
  }
  const unreadStores: NonNullable<RtsRunResult['unreadStores']> = [];
  const rejected: RejectedWrite[] = [];
  // the lock's signal goes on to every phase: each stops before its next write (consignments, receipts)
  const consigned = await consignShipments(deps, msupply, await suppliers.stores(), unreadStores, rejected, signal);
  const left = skipped.length ? { skippedRequisitions: skipped } : {};
  if (typeof consigned === 'string')
    return {
      counts,
      ...(held.length ? { held } : {}),
      ...left,
      ...withDetail(rtsRunDetail({ held, skipped, unreadStores, consignSkipped: consigned })),
    };
  const unreadable: UnreadableReceipt[] = [];
  const received = await writeBackReceipts(deps, msupply, rejected, unreadable, signal);
  const prefixed = (prefix: string, c: Record<string, number> | undefined) =>
    Object.fromEntries(Object.entries(c ?? {}).map(([k, v]) => [`${prefix}.${k}`, v]));
  return {
    counts: {
      ...counts,
      ...prefixed('consignments', consigned),
      ...prefixed('receipts', received?.receipts),
      ...prefixed('inbounds', received?.inbounds),
    },
    ...(held.length ? { held } : {}),
    ...left,
    ...(unreadStores.length ? { unreadStores } : {}),
    ...(unreadable.length ? { unreadableReceipts: unreadable } : {}),
    ...withDetail(rtsRunDetail({ held, skipped, unreadStores, rejected, unreadable })),
  };
}

/** The scheduled job (`schedules.rtsToMsupply`); registers its outbox delivery when made. */
export function rtsToMsupplyJob(deps: RtsBridgeDeps): ScheduledJob {
  registerRtsHandlers(deps.outbox, deps.connectors);
  return {
    name: 'rtsToMsupply',
    setting: 'schedules.rtsToMsupply',
    description: 'DHIS2 RTS requisitions completed since the last run → Open mSupply response requisitions',
    run: (signal) => runRtsToMsupply(deps, signal),
  };
}
