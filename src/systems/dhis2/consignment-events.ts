import { ConflictError } from '../../domain/errors.js';
import type { Delivery } from '../../domain/index.js';
import { deterministicUid } from './identifiers.js';
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

/** An event DHIS2 holds for a consignment: its UID, item code and lot (as journalled). */
export interface HeldEvent {
  uid: string;
  code?: string;
  lot?: string;
}

/** The data elements a consignment event carries its item and lot in. */
export interface ItemElements {
  item: string;
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

/** The consignment's events as read, reduced to what the plan needs (and a journal keeps). */
export function heldEvents(events: Json[], p: ItemElements): HeldEvent[] {
  return events.flatMap((e): HeldEvent[] => {
    if (typeof e.event !== 'string') return [];
    const code = valueOf(e, p.item);
    const lot = valueOf(e, p.lot);
    return [{ uid: e.event, code: code ? String(code) : undefined, lot: lot ? String(lot) : undefined }];
  });
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
  where: { orgUnit: string; readAs: string },
): ConflictError | undefined {
  const mine = new Set(delivery.lines.map((l, i) => derivedUid(delivery, codes[i], l.lot?.number)));
  const others = held.filter((e) => !mine.has(e.uid) && e.uid !== derivedUid(delivery, e.code ?? '', e.lot));
  if (!others.length) return undefined;
  const ref = delivery.identifier.value;
  return new ConflictError(
    `another consignment uses this reference: DHIS2 holds consignment ${ref} at org unit ${where.orgUnit} (SupplyDelivery/${where.readAs}, events ${named(others)}), not written for ${delivery.identifier.system}|${ref}; nothing was written. Confirm that consignment as read, or send this delivery under a reference of its own`,
    409,
    ['Delivery.identifier'],
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
  for (const e of held) {
    if (!e.code || !products.productOf(e.code)) unknown.push(e);
    else byKey.set(eventKey(e.code, e.lot), [...(byKey.get(eventKey(e.code, e.lot)) ?? []), e]);
  }
  return { byKey, unknown };
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
): Map<string, PlannedEvent> {
  const kept = held ? heldByItem(held, products) : { byKey: new Map<string, HeldEvent[]>(), unknown: [] };
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
    const sorted = [...events].sort((a, b) => (a.uid < b.uid ? -1 : 1));
    lines.forEach((i, n) =>
      add(sorted[events.length > 1 ? n : 0]?.uid ?? derivedUid(delivery, codes[i], delivery.lines[i].lot?.number), i),
    );
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
