import { MediatorError, UpstreamError, isTransient, type Issue } from '../domain/errors.js';
import type { Delivery, DeliveryStatus } from '../domain/index.js';
import type { FacilityRef, Identifier } from '../domain/identifiers.js';
import type { Json } from './codecs/common.js';
import type { Part } from './adapters.js';

/**
 * A transaction's SupplyDelivery entries of one delivery number are one delivery (R4 has one
 * SupplyDelivery per line), written as one. What the delivery itself says (its status, when it
 * was received, by whom, where to, from whom, for which order) each line repeats, and the lines
 * merged into one delivery took the last line's word (or the first's) silently: a first line "in
 * progress" was confirmed by the next. The lines of one order refuse such a disagreement (422,
 * adapters.ts assertSameOrder); so do these, each disagreeing entry named at its element, before
 * anything is recorded. A line that leaves a field unsaid agrees with the others (the merge takes
 * the said one, deliveryOfLines), its status too (decoded alone it would be "completed").
 *
 * On R5 a delivery is one SupplyDelivery with all its lines: two entries of one delivery number
 * are two writes of one delivery, and the merge kept only the later one's lines while answering
 * the earlier under its own id. They are refused (assertOneR5Delivery), as two creates of one are.
 */

/** How many other entries an issue names before "and N more": a 500-line delivery's answer stays small. */
const OTHERS_NAMED = 3;

/** One field of the delivery every line of it states, as FHIR names it and as its value compares. */
interface SharedField {
  element: string;
  what: string;
  /** The value as shown in the answer, or undefined when the line leaves it unsaid. */
  valueOf(d: Delivery): string | undefined;
  /** Whether the entry states it, when its decoded value has a default (status). */
  said?(resource: Json): boolean;
  /** Whether two said values are the same statement (equal text unless given). */
  same?(a: string, b: string): boolean;
  /** The value as the answer shows it, when its text alone does not say what was compared. */
  shown?(value: string): string;
}

const STATUS: SharedField = {
  element: 'status',
  what: 'status',
  valueOf: (d) => d.status,
  said: (r) => r.status !== undefined,
};
const RECEIVED: SharedField = {
  element: 'occurrenceDateTime',
  what: 'date received',
  valueOf: (d) => d.occurredAt,
};

const SHARED: SharedField[] = [
  STATUS,
  { element: 'receiver', what: 'receiver', valueOf: (d) => d.receivedBy },
  { element: 'destination', what: 'destination', valueOf: (d) => facilityOf(d.destination), same: sameFacility },
  { element: 'supplier', what: 'supplier', valueOf: (d) => d.supplier?.display },
  { element: 'basedOn', what: 'order', valueOf: (d) => identifierText(d.basedOn?.orderNumber) },
];

/** One entry of a delivery's group: where it is in the Bundle and what it decoded to. */
export interface DeliveryLineEntry {
  index: number;
  part: Part<Delivery>;
  /** The entry's resource as sent: what it states, before decoding fills defaults. */
  resource: Json;
}

/**
 * Throws a 400 naming every entry of an R5 delivery after its first: on R5 a delivery is one
 * SupplyDelivery, so a second entry of its number is a second write of it (by another id), which
 * would be merged away silently.
 */
export function assertOneR5Delivery(lines: DeliveryLineEntry[]): void {
  if (lines.length < 2) return;
  const [first, ...later] = lines;
  const number = first.part.build(undefined).identifier.value;
  throw new MediatorError(
    400,
    later.map(({ index }) => ({
      code: 'invalid' as const,
      diagnostics: `Bundle.entry[${index}] is delivery ${number}, as Bundle.entry[${first.index}] is: on R5 a delivery is one SupplyDelivery: send it as one entry, with all its lines in suppliedItem`,
      expression: [`Bundle.entry[${index}].resource.identifier`],
    })),
  );
}

/**
 * Throws a 422 naming every entry of a delivery whose delivery-level fields differ from another
 * entry's of the same delivery, each at the element that differs. `lines`: the entries of one
 * delivery number, in Bundle order.
 */
export function assertDeliveryLinesAgree(lines: DeliveryLineEntry[]): void {
  if (lines.length < 2) return;
  const decoded = decodedLines(lines);
  const received = receivedField(saidBy(RECEIVED, decoded).map((s) => s.value));
  const issues = [...SHARED, received].flatMap((field) => disagreements(field, decoded));
  if (issues.length) throw new MediatorError(422, issues);
}

/** The issues of one field: none when every line stating it says the same. */
function disagreements(field: SharedField, lines: DecodedLine[]): Issue[] {
  const said = saidBy(field, lines);
  const same = field.same ?? ((a: string, b: string) => a === b);
  const number = lines[0].delivery.identifier.value;
  return said.flatMap(({ index, value }) => {
    const differing = said.filter((o) => !same(o.value, value));
    if (!differing.length) return [];
    const shown = field.shown ?? ((v: string) => `'${v}'`);
    // the element where its name is not the element's (occurrenceDateTime, basedOn)
    const named = field.what === field.element ? field.what : `${field.what} (${field.element})`;
    const others = listed(differing.map((o) => `Bundle.entry[${o.index}] ${shown(o.value)}`));
    return [
      {
        code: 'business-rule' as const,
        diagnostics: `Bundle.entry[${index}] is a line of delivery ${number} with ${named} ${shown(value)}, but other lines of it say otherwise (${others}): a delivery has one ${field.what}, which each of its lines states; send every line of it with the same ${field.what} (the lines of another delivery go under that delivery's own number)`,
        expression: [`Bundle.entry[${index}].resource.${field.element}`],
      },
    ];
  });
}

interface DecodedLine {
  index: number;
  resource: Json;
  delivery: Delivery;
}

/** Each line decoded alone, as a delivery of its own. */
function decodedLines(lines: DeliveryLineEntry[]): DecodedLine[] {
  return lines.map(({ index, part, resource }) => ({ index, resource, delivery: part.build(undefined) }));
}

/** The lines stating `field`, with the value each states. */
function saidBy(field: SharedField, lines: DecodedLine[]): { index: number; value: string }[] {
  return lines.flatMap(({ index, resource, delivery }) => {
    const value = field.valueOf(delivery);
    return value === undefined || field.said?.(resource) === false ? [] : [{ index, value }];
  });
}

/** The first few of `items`, then how many more. */
function listed(items: string[]): string {
  const more = items.length - OTHERS_NAMED;
  return items.slice(0, OTHERS_NAMED).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/**
 * Lines received on one day agree, as an order's lines agree on when the goods are needed
 * (adapters.ts sameDay): an app stamps each line as it is scanned, 09:15, 09:16, … Which day a
 * time is on depends on the zone it is read in, and the upstream keeps the day (OpenLMIS's
 * receivedDate) of the time the delivery is written with, the latest stated (latestReceived), in
 * that time's own offset: every line's time is read in that offset, so one instant written in two
 * offsets across midnight is one day, and so are 23:30-02:00 and 01:30Z the next day. A date
 * without a time is that day as said. The answer shows each value with the day it was read as.
 */
function receivedField(values: string[]): SharedField {
  const offset = offsetOf(latestReceived(values));
  return {
    ...RECEIVED,
    same: (a, b) => dayIn(a, offset) === dayIn(b, offset),
    shown: (v) => (v.length > 10 ? `'${v}' (${dayIn(v, offset)} at ${offsetText(offset)})` : `'${v}'`),
  };
}

/** A time's offset from UTC in minutes (`Z`, `±hh:mm`); undefined for a date or a time without one. */
function offsetOf(value: string | undefined): number | undefined {
  const m = value && /(Z|([+-])(\d{2}):(\d{2}))$/i.exec(value);
  if (!m || value!.length <= 10) return undefined;
  if (m[1].toUpperCase() === 'Z') return 0;
  return (m[2] === '-' ? -1 : 1) * (Number(m[3]) * 60 + Number(m[4]));
}

function offsetText(minutes: number | undefined): string {
  if (!minutes) return 'UTC';
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The day `value` is on at `offset` minutes from UTC: a date as said, a time as its instant there. */
function dayIn(value: string, offset: number | undefined): string {
  const at = Date.parse(value);
  if (value.length <= 10 || offsetOf(value) === undefined || Number.isNaN(at)) return value.slice(0, 10);
  return new Date(at + (offset ?? 0) * 60_000).toISOString().slice(0, 10);
}

/**
 * The delivery lines that agree (assertDeliveryLinesAgree) amount to, merged (`merged`, built line
 * after line) as they say: the status a line states, not a later line's decoded default; and when
 * received, the latest time a line states (the last line scanned), else the day stated.
 */
export function deliveryOfLines(merged: Delivery, lines: DeliveryLineEntry[]): Delivery {
  if (lines.length < 2) return merged;
  const decoded = decodedLines(lines);
  const [status] = saidBy(STATUS, decoded);
  const received = saidBy(RECEIVED, decoded).map((s) => s.value);
  return {
    ...merged,
    status: (status?.value as DeliveryStatus | undefined) ?? merged.status,
    occurredAt: latestReceived(received) ?? merged.occurredAt,
  };
}

/**
 * The latest instant among times (a date only when no line states a time). Of one instant spelt
 * in two offsets, the spelling taken must not hang on the lines' order (its offset sets the day
 * every line is read on, and the day OpenLMIS keeps): one in a local offset before UTC's (`Z`,
 * `+00:00`, usually a time normalised on the way, not the wall time where the goods arrived), then
 * the least text (the earlier day as written).
 */
function latestReceived(values: string[]): string | undefined {
  const times = values.filter((v) => v.length > 10);
  if (!times.length) return values[0];
  return times.reduce((a, b) => (takenBefore(b, a) ? b : a));
}

/** Whether time `b` is taken as the delivery's over `a` (latestReceived). */
function takenBefore(b: string, a: string): boolean {
  const later = Date.parse(b) - Date.parse(a);
  if (Number.isNaN(later)) return false;
  if (later) return later > 0;
  const utc = (v: string) => (offsetOf(v) === 0 ? 1 : 0);
  if (utc(b) !== utc(a)) return utc(b) < utc(a);
  return b < a;
}

/** A facility as told in the answer: its reference, else its identifier. */
function facilityOf(f: FacilityRef): string | undefined {
  if (f.id) return `Location/${f.id}`;
  return identifierText(f.identifier);
}

/**
 * Equal, or one named by id and the other by identifier: those may be one facility, which only a
 * read of the Location tells (assertDestinationFormsAgree, after these synchronous checks).
 */
function sameFacility(a: string, b: string): boolean {
  return a === b || a.startsWith('Location/') !== b.startsWith('Location/');
}

function identifierText(i: Identifier | undefined): string | undefined {
  return i ? `${i.system}|${i.value}` : undefined;
}

/**
 * The identifiers of the facility a Location id names, as the facilities flow reads it: [] when
 * no facility has that id, undefined when there is no facility service to ask; its system not
 * answering now, or refusing the mediator the read, is that UpstreamError, thrown.
 */
export type LocationIdentifiers = (locationId: string) => Promise<Identifier[] | undefined>;

/**
 * Throws a 422 when lines of one delivery name its destination one by id (`Location/X`), another
 * by identifier, and Location X does not carry that identifier: the merge kept one of the two
 * forms, and the write resolved only that one, so a pair naming two facilities passed. An
 * identifier without a system matches one of X's in any system. Lines naming it one way only
 * were compared already (assertDeliveryLinesAgree). When X cannot be read (now, or by the
 * mediator at all: a 403) the transaction is that error, naming the lines, nothing written: let
 * through, the write (or its queued delivery) would resolve the one form the merge kept and never
 * compare the other.
 */
export async function assertDestinationFormsAgree(
  lines: DeliveryLineEntry[],
  identifiersOf: LocationIdentifiers,
): Promise<void> {
  if (lines.length < 2) return;
  const decoded = decodedLines(lines);
  const byId = decoded.filter((l) => l.delivery.destination.id);
  const byIdentifier = decoded.filter((l) => !l.delivery.destination.id && l.delivery.destination.identifier);
  if (!byId.length || !byIdentifier.length) return;
  const number = decoded[0].delivery.identifier.value;
  const issues: Issue[] = [];
  for (const id of new Set(byId.map((l) => l.delivery.destination.id!))) {
    const named = byId.find((l) => l.delivery.destination.id === id)!;
    const carried = await identifiersOf(id).catch((err: unknown) => {
      throw err instanceof UpstreamError ? unreadNow(err, number, named, byIdentifier) : err;
    });
    if (!carried) continue;
    for (const line of byIdentifier) {
      const wanted = line.delivery.destination.identifier!;
      if (carried.some((c) => c.value === wanted.value && (!wanted.system || c.system === wanted.system))) continue;
      issues.push({
        code: 'business-rule',
        diagnostics: `Bundle.entry[${line.index}] is a line of delivery ${number} with destination '${identifierText(wanted)}', but Bundle.entry[${named.index}] names it Location/${id}, ${carried.length ? 'which does not carry that identifier' : 'which is no facility here'}: a delivery has one destination, which each of its lines states; name the same facility on every line (by the same reference is simplest)`,
        expression: [`Bundle.entry[${line.index}].resource.destination`],
      });
    }
  }
  if (issues.length) throw new MediatorError(422, issues);
}

/**
 * Location X (named by `byId`'s line) unread, so whether it is the facility the `others` lines
 * name by identifier cannot be told: the read's error, transient (retried by OpenHIM as it is) or
 * not (a 403: the mediator's user may not read it), saying which lines and what to do.
 */
function unreadNow(err: UpstreamError, number: string, byId: DecodedLine, others: DecodedLine[]): UpstreamError {
  const named = listed(
    others.map((l) => `Bundle.entry[${l.index}] '${identifierText(l.delivery.destination.identifier)}'`),
  );
  // the read's own words, without the system's name UpstreamError puts before them again
  const why = (err.issues[0]?.diagnostics ?? err.message).replace(`${err.system}: `, '');
  const held = new UpstreamError({
    system: err.system,
    transient: isTransient(err),
    status: err.status,
    code: err.issues[0]?.code,
    upstreamStatus: err.upstreamStatus,
    diagnostics: `Location/${byId.delivery.destination.id}, which Bundle.entry[${byId.index}] names as the destination of delivery ${number}, cannot be read ${isTransient(err) ? 'now' : 'by the mediator'} (${why}), so whether it is the facility ${named} names by identifier cannot be told: nothing was written or queued; send the transaction again ${isTransient(err) ? 'later' : 'once it can be read'}, or name the destination the same way on every line`,
    expression: others.map((l) => `Bundle.entry[${l.index}].resource.destination`),
  });
  held.notBefore = err.notBefore;
  return held;
}
