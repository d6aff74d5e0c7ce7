import { CompletedUpstreamError, ConflictError } from '../../domain/errors.js';
import { stableId } from '../../domain/ids.js';
import { deliveryLineId } from '../../domain/line-ids.js';
import type { Delivery, Identifier, ProductRef } from '../../domain/index.js';
import { DHIS2_SYSTEM, deterministicUid } from './identifiers.js';
import type { Dhis2ProductMap } from './products.js';

/**
 * Which event of DHIS2 each line of a consignment's confirmation writes. A consignment is read as
 * the events of one reference at one org unit, whoever wrote them; the reference is a bare value
 * (`1001`), so two apps' deliveries `urn:a|1001` and `urn:b|1001` at one org unit would be read as
 * one consignment, their dates and lines mixed. So a delivery under another system's identifier
 * writes only where no other consignment uses its reference (its own events are the ones under
 * the UIDs its key derives); one read as DHIS2 holds it (CONSIGNMENT_SYSTEM: entered by DHIS2's
 * users, confirmed as read) completes every event DHIS2 holds for it, or is refused naming the
 * events it would leave ACTIVE (the consignment would read in progress for ever).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

/** An event DHIS2 holds for a consignment: its UID, item code, lot and quantity (none: not a number). */
export interface HeldEvent {
  uid: string;
  code?: string;
  lot?: string;
  quantity?: number;
}

/** The data elements a consignment event carries its item, quantity and lot in. */
export interface ItemElements {
  item: string;
  quantity: string;
  lot?: string;
}

/** One event to write: the first line it comes from, its item, lot and quantity in units. */
export interface PlannedEvent {
  line: number;
  code: string;
  lot?: string;
  units: number;
}

/** An event's value of a data element (undefined when the program names none). */
export const valueOf = (e: Json, de?: string) =>
  de ? (e.dataValues as Json[] | undefined)?.find((d) => d.dataElement === de)?.value : undefined;

/**
 * An event's quantity received, when it is a number: the reader and the planner must agree on
 * which events are lines (an event read as no line, paired by position, would shift quantities).
 */
export function quantityOf(e: Json, de: string): number | undefined {
  const v = valueOf(e, de);
  const q = typeof v === 'string' && v.trim() === '' ? NaN : Number(v ?? NaN);
  return Number.isFinite(q) ? q : undefined;
}

/** The consignment's events as read, reduced to what the plan needs. */
export function heldEvents(events: Json[], p: ItemElements): HeldEvent[] {
  return events.flatMap((e): HeldEvent[] => {
    if (typeof e.event !== 'string') return [];
    const code = valueOf(e, p.item);
    const lot = valueOf(e, p.lot);
    return [
      {
        uid: e.event,
        code: code ? String(code) : undefined,
        lot: lot ? String(lot) : undefined,
        quantity: quantityOf(e, p.quantity),
      },
    ];
  });
}

/**
 * The id of the line read from one of several events of one item and lot in a consignment: it
 * carries the event's UID, so a confirmation pairs each line with its event whatever the order of
 * its lines (and R4, one SupplyDelivery per line, gives each its own id). A line alone for its
 * item and lot keeps the id every delivery line has (deliveryLineId).
 */
export function eventLineId(identifier: Identifier, product: ProductRef, lot: string | undefined, uid: string) {
  return stableId('SupplyDelivery', identifier.system, identifier.value, product.system, product.code, lot ?? '', uid);
}

/**
 * The R4 id of a consignment's line read from DHIS2: its org unit, reference, item and lot. A
 * waybill number is unique only within a facility (the R5 id carries the org unit too): without
 * it, two facilities' lines of one reference shared an id, each search linked it to its own
 * consignment, and a PUT of one facility's line changed the other's events. A consignment the
 * mediator wrote keeps the line ids its write came with (withClientIds).
 */
export function consignmentLineId(
  orgUnit: string,
  identifier: Identifier,
  product: ProductRef,
  lot: string | undefined,
) {
  return stableId('SupplyDelivery', DHIS2_SYSTEM, orgUnit, deliveryLineId(identifier, product, lot));
}

/** An event's place in a consignment: its item and lot. */
const eventKey = (code: string, lot: string | undefined) => JSON.stringify([code, lot ?? '']);

/** The UID a delivery's own event of an item and lot is written under (a retry finds it). */
const derivedUid = (delivery: Delivery, code: string, lot: string | undefined) =>
  deterministicUid('consignment', delivery.identifier.system, delivery.identifier.value, code, lot ?? '');

const named = (events: HeldEvent[]) =>
  events.map((e) => `${e.uid} (item ${e.code ?? 'none'}${e.lot ? `, lot ${e.lot}` : ''})`).join(', ');

/**
 * Events of the reference that are not this delivery's: another app's delivery with the same
 * reference value, or a consignment DHIS2's users entered. Writing beside them would make one
 * consignment of two (its date refused as the other's, or its lines added to the other's).
 */
export function otherConsignment(
  delivery: Delivery,
  codes: string[],
  held: HeldEvent[],
  where: { orgUnit: string; listedBy: string },
): ConflictError | undefined {
  const mine = new Set(delivery.lines.map((l, i) => derivedUid(delivery, codes[i], l.lot?.number)));
  const others = held.filter((e) => !mine.has(e.uid) && e.uid !== derivedUid(delivery, e.code ?? '', e.lot));
  if (!others.length) return undefined;
  const ref = delivery.identifier.value;
  return new ConflictError(
    `another consignment uses this reference: DHIS2 holds consignment ${ref} at org unit ${where.orgUnit} (listed by ${where.listedBy}, events ${named(others)}), not written for ${delivery.identifier.system}|${ref}; nothing was written. Confirm that consignment as read, or send this delivery under a reference of its own`,
    409,
    ['Delivery.identifier'],
  );
}

/**
 * This delivery's own events (under the UIDs its key derives) of an item and lot its completing
 * confirmation no longer has (sent in progress with more items, or another lot): left ACTIVE,
 * RTS would never take the consignment as received, and DHIS2 would count them beside the
 * lines sent. A 409 naming them, not a quantity of 0 written for them: what was not received is
 * the client's to say (a line of 0), as a confirmation as read must.
 */
export function ownEventsLeft(delivery: Delivery, codes: string[], held: HeldEvent[]): ConflictError | undefined {
  if (delivery.status !== 'completed') return undefined;
  const mine = new Set(delivery.lines.map((l, i) => derivedUid(delivery, codes[i], l.lot?.number)));
  const left = held.filter((e) => !mine.has(e.uid) && e.uid === derivedUid(delivery, e.code ?? '', e.lot));
  if (!left.length) return undefined;
  return new ConflictError(
    `the delivery has no line for events it wrote to DHIS2 before in consignment ${delivery.identifier.value}: ${named(left)}; completed without them, they would stay ACTIVE. Send every line sent before (a quantity of 0 for what was not received)`,
    409,
    ['Delivery.lines'],
  );
}

/** A consignment's upstream id as its write reports it (consignments.ts) and its links hold it. */
function consignmentId(orgUnit: string, ref: string): string {
  return `${orgUnit}~${ref}`;
}

/**
 * An in-progress write (a draft: its events written ACTIVE) of a consignment DHIS2 holds events
 * of as COMPLETED: written, it would reopen a delivery received (RTS no longer takes it as
 * received, its quantities changed), which a completed write may not even change the date of
 * (receiptChange). A 409 naming them, nothing written, as OpenLMIS refuses a draft of a confirmed
 * proof of delivery (CompletedUpstreamError: a queued draft its completion overtook is told
 * superseded, routing/delivery-overtaken.ts). It names the consignment as its writes are linked
 * (`orgUnit~reference`, the id a write reports), not an event: routing finds a completion written
 * under another identifier of the same consignment by that id (Store.linksToUpstream).
 * A draft of an open consignment is written as before.
 */
export function reopening(delivery: Delivery, events: Json[], orgUnit: string): ConflictError | undefined {
  if (delivery.status === 'completed') return undefined;
  const completed = events.filter((e) => e.status === 'COMPLETED').map((e) => String(e.event));
  if (!completed.length) return undefined;
  return new CompletedUpstreamError(
    `consignment ${delivery.identifier.value} is completed in DHIS2 (events ${completed.join(', ')}); a delivery received cannot be saved in progress again, which would reopen it, so nothing was written. Read the consignment as DHIS2 holds it`,
    consignmentId(orgUnit, delivery.identifier.value),
    ['Delivery.status'],
  );
}

/**
 * The events of a consignment read as DHIS2 holds it, by item and lot, and those whose item the
 * catalogue does not know: read back, such an event is no line (no product to name), so no
 * confirmation could complete it.
 */
function heldByItem(held: HeldEvent[], products: Dhis2ProductMap) {
  const byKey = new Map<string, HeldEvent[]>();
  const unknown: HeldEvent[] = [];
  const uncounted: HeldEvent[] = [];
  for (const e of held) {
    if (!e.code || !products.productOf(e.code)) unknown.push(e);
    else if (e.quantity === undefined) uncounted.push(e);
    else byKey.set(eventKey(e.code, e.lot), [...(byKey.get(eventKey(e.code, e.lot)) ?? []), e]);
  }
  return { byKey, unknown, uncounted };
}

/**
 * The event UID each line writes. A delivery's own events are one per item and lot (lines sharing
 * both are one event of their sum, else the later line's quantity would overwrite the earlier's).
 * A consignment read as DHIS2 holds it keeps the UIDs DHIS2 gave its events: two events of one
 * item and lot were read as two lines, and each line completes its event in the order read (by
 * UID, as read); confirmed complete, every event of the consignment must be taken by a line.
 */
export function planEvents(
  delivery: Delivery,
  codes: string[],
  units: number[],
  held: HeldEvent[] | undefined,
  products: Dhis2ProductMap,
  orgUnit: string,
): Map<string, PlannedEvent> {
  const kept = held
    ? heldByItem(held, products)
    : { byKey: new Map<string, HeldEvent[]>(), unknown: [], uncounted: [] };
  // whatever the status: read back, such an event is no line, so lines paired with the events by
  // position would write one line's quantity into another's event
  if (kept.uncounted.length)
    throw new ConflictError(
      `DHIS2 holds events of consignment ${delivery.identifier.value} without a quantity: ${named(kept.uncounted)}; read back they are no line, so the confirmation cannot be paired with its events. A DHIS2 user enters the quantity of each, then read the consignment and confirm it again`,
      409,
      ['Delivery.lines'],
    );
  const completing = delivery.status === 'completed';
  if (completing && kept.unknown.length)
    throw new ConflictError(
      `DHIS2 holds events of consignment ${delivery.identifier.value} whose item the catalogue does not know: ${named(kept.unknown)}; read back they are no line, so confirming the consignment would leave them ACTIVE. Map the item in products.json (or a DHIS2 user corrects the event), then confirm again`,
      409,
      ['Delivery.lines'],
    );
  const linesOf = new Map<string, number[]>();
  delivery.lines.forEach((l, i) => {
    const key = eventKey(codes[i], l.lot?.number);
    linesOf.set(key, [...(linesOf.get(key) ?? []), i]);
  });
  const out = new Map<string, PlannedEvent>();
  const add = (uid: string, i: number) => {
    const seen = out.get(uid);
    if (seen) seen.units += units[i];
    else out.set(uid, { line: i, code: codes[i], lot: delivery.lines[i].lot?.number, units: units[i] });
  };
  for (const [key, lines] of linesOf) {
    const events = kept.byKey.get(key) ?? [];
    if (events.length > 1 && lines.length !== events.length)
      throw new ConflictError(
        `DHIS2 holds ${events.length} events of consignment ${delivery.identifier.value} for one item and lot: ${named(events)}; the delivery has ${lines.length} line(s) for them. Confirm one line per event, as read`,
        409,
        [`Delivery.lines[${lines[0]}]`],
      );
    if (events.length <= 1 && held && namesEventsGone(delivery, lines, orgUnit))
      throw new ConflictError(
        `consignment ${delivery.identifier.value} changed since it was read: the delivery's lines ${lines.map((i) => `[${i}]`).join(', ')} were read from ${lines.length} events of one item and lot, and DHIS2 holds ${events.length} now${events.length ? ` (${named(events)})` : ''}; summed into one event, their quantities would be a receipt nobody made. Read the consignment again and confirm it as read`,
        409,
        [`Delivery.lines[${lines[1]}]`],
      );
    if (events.length > 1) pairedByLineId(delivery, lines, events, products).forEach((uid, n) => add(uid, lines[n]));
    else lines.forEach((i) => add(events[0]?.uid ?? derivedUid(delivery, codes[i], delivery.lines[i].lot?.number), i));
  }
  const untaken = completing
    ? [...kept.byKey.entries()].filter(([key]) => !linesOf.has(key)).flatMap(([, events]) => events)
    : [];
  if (untaken.length)
    throw new ConflictError(
      `the delivery has no line for events DHIS2 holds in consignment ${delivery.identifier.value}: ${named(untaken)}; confirmed without them, they would stay ACTIVE. Confirm every line as read (a quantity of 0 for what was not received)`,
      409,
      ['Delivery.lines'],
    );
  return out;
}

/**
 * Whether lines of one item and lot of a consignment confirmed as read name an event (eventLineId:
 * a read of several events of them) while DHIS2 holds one event or none for them now: a DHIS2
 * user deleted one since that read, and their sum on the one left would be a receipt nobody made.
 * A line of one event read so carries the id a read gives it (consignmentLineId, with the org
 * unit; before 2026-12-06 the plain deliveryLineId, which a client may still hold), as does a line
 * the edge added (the plain id): those name no event. A delivery's own lines (not read as DHIS2
 * holds them: `held` undefined in planEvents) name none either, whatever ids its client gave them.
 */
function namesEventsGone(delivery: Delivery, lines: number[], orgUnit: string): boolean {
  if (lines.length < 2) return false;
  const l = delivery.lines[lines[0]];
  const lot = l.lot?.number;
  const ofOneEvent = new Set([
    deliveryLineId(delivery.identifier, l.product, lot),
    consignmentLineId(orgUnit, delivery.identifier, l.product, lot),
  ]);
  return lines.some((i) => {
    const id = delivery.lines[i].lineId;
    return !!id && !ofOneEvent.has(id);
  });
}

/**
 * The event each of `lines` (one item and lot, as many as `events`) writes: the one its line id
 * names (eventLineId, as read), the others in the order read (by UID) to the lines that carry no
 * such id (an R5 confirmation's lines of one item and lot, which it sends without ids).
 */
function pairedByLineId(delivery: Delivery, lines: number[], events: HeldEvent[], products: Dhis2ProductMap) {
  const byLineId = new Map(
    events.map((e) => [eventLineId(delivery.identifier, products.productOf(e.code!)!, e.lot, e.uid), e.uid]),
  );
  const named = lines.map((i) => byLineId.get(delivery.lines[i].lineId ?? ''));
  const taken = new Set(named.filter((uid): uid is string => !!uid));
  const rest = events
    .map((e) => e.uid)
    .filter((uid) => !taken.has(uid))
    .sort();
  return named.map((uid) => (uid && taken.delete(uid) ? uid : rest.shift()!));
}
