import { canonicalJson } from '../domain/ids.js';
import type { Json } from './codecs/common.js';
import type { Delivery } from '../domain/delivery.js';
import { EXT } from './conventions.js';

/**
 * Whether what an update asks for is already what the resource holds: carried out, it would
 * change nothing, so it is answered 200 with the resource as it is, writing nothing, even when its
 * If-Match names an older version. RFC 9110 §13.1.1 lets a server answer such a request 2xx: a
 * mobile app that sent a conditional change, lost the answer to a timeout and sends it again
 * learns its change worked instead of a 412 it must investigate (or, without If-Match, a 409).
 *
 * "Already" is exact, and decided on the resource as its system holds it now (`current`, what a
 * read answers) against the resource the client sent (`requested`), never on what was asked before:
 * - every type: the same content apart from `meta` (versionId and lastUpdated are the server's),
 *   by canonical JSON (key order and 300 vs 300.0 alike): the comparison that makes an
 *   unconditional PUT of an unchanged resource write nothing;
 * - SupplyRequest with status cancelled: an order cancelled is read back as the client wrote it
 *   (its requisition is gone), without the displays, period and explanation the system added to
 *   the version the client read before cancelling it. The cancellation changes only the status
 *   (routing/order-revision.ts cancels the order as written), so a cancel is in place when the
 *   order reads cancelled and the line sent is that line: the same order number, facility,
 *   program, priority, product and quantity (`cancelledLine`). A cancel naming another quantity or product
 *   is not "this cancel again" and keeps its 412.
 * - SupplyDelivery with status completed: a confirmation is in place when the delivery reads
 *   completed with, line for line, the same products (and lots) accepted and rejected in the same
 *   quantities (and, where rejected, for the same reason). The read adds what the system recorded
 *   with the receipt (the date received, the receiver, a rejected quantity of 0 on each line), so
 *   the content never matches exactly; yet a system holds one confirmation per delivery and the
 *   connectors answer the same quantities sent again as that confirmation applied
 *   (`holdsSameConfirmation` for OpenLMIS), so with If-Match the retry is told the same (`confirmedDelivery`).
 *   Its date received and receiver must be those the system keeps, where it keeps them
 *   (`keepsReceipt`): a resend naming another is a change of a completed delivery, which the
 *   connector refuses (409), not "this confirmation again".
 * Anything else (a status, a quantity, a name that differs; a resource that does not exist) is a
 * mismatch, and the caller answers 412 as before. `held`: the value the system read, where the
 * caller has it (what it keeps of a delivery's date received is not in its FHIR).
 */
export function alreadyInPlace(type: string, current: Json, requested: Json, held?: unknown): boolean {
  if (sameContent(current, requested)) return true;
  if (type === 'SupplyRequest' && isCancelled(current) && isCancelled(requested))
    return canonicalJson(cancelledLine(current)) === canonicalJson(cancelledLine(requested));
  if (type === 'SupplyDelivery' && isCompleted(current) && isCompleted(requested))
    return (
      canonicalJson(confirmedDelivery(current)) === canonicalJson(confirmedDelivery(requested)) &&
      keepsReceipt(current, requested, held)
    );
  return false;
}

/** Equal apart from meta (versionId and lastUpdated are the server's, not content). */
export function sameContent(a: Json, b: Json): boolean {
  const { meta: _a, ...restA } = a;
  const { meta: _b, ...restB } = b;
  return canonicalJson(restA) === canonicalJson(restB);
}

const isCancelled = (r: Json) => r?.status === 'cancelled';
const isCompleted = (r: Json) => r?.status === 'completed';

const codesOf = (concept: Json) =>
  ((concept?.coding ?? []) as Json[]).map((c) => `${c.system ?? ''}|${c.code ?? ''}`).sort();
const countOf = (q: Json) => ({ value: q?.value, code: q?.code, system: q?.system });
const extensionOf = (element: Json, url: string): Json | undefined =>
  ((element?.extension ?? []) as Json[]).find((e) => e?.url === url);

/**
 * What a delivery confirmation states, in the client's terms: which delivery, and for each line its
 * product codes, lot, accepted quantity and, when it rejects any, the rejected quantity and reason
 * (a rejected 0 and no rejection alike). Not the displays, dates and receiver a read adds. R4
 * carries one suppliedItem per resource, R5 a list.
 */
function confirmedDelivery(r: Json) {
  const items = (Array.isArray(r.suppliedItem) ? r.suppliedItem : [r.suppliedItem]).filter(Boolean) as Json[];
  const lines = items.map((item) => {
    const rejected = extensionOf(item, EXT.quantityRejected)?.valueQuantity;
    const rejects = typeof rejected?.value === 'number' && rejected.value > 0;
    return {
      item: codesOf(item.itemCodeableConcept ?? item.item?.concept),
      itemReference: item.itemReference?.reference ?? item.item?.reference?.reference,
      lot: extensionOf(item, EXT.lotNumber)?.valueString,
      accepted: countOf(item.quantity),
      rejected: rejects ? countOf(rejected) : undefined,
      reason: rejects ? extensionOf(item, EXT.rejectionReason)?.valueString : undefined,
    };
  });
  return {
    identifier: ((r.identifier ?? []) as Json[]).map((i) => `${i.system ?? ''}|${i.value ?? ''}`).sort(),
    destination: r.destination?.reference,
    lines: lines.map((l) => canonicalJson(l)).sort(),
  };
}

/**
 * Whether the date received and the receiver a completed delivery is sent with are what the read
 * holds, compared at the precision the read says its system keeps the client's date
 * (Delivery.dateReceivedKept, one rule for every system, never guessed from the dateTime's form):
 * OpenLMIS keeps the day received (any time of that day, in any form, is the same day) and the
 * receiver's name; DHIS2 keeps the instant, to the millisecond (the same instant in another zone
 * is the same; and the later pass of an hour a clock change repeats, which it holds as the earlier:
 * Delivery.receivedAtAlso). A read that keeps no date of the client's (OpenMRS and Open mSupply: their time is
 * their own stamp of the receipt), which no confirmation sets, is not compared; nor is what the
 * client leaves out.
 */
function keepsReceipt(current: Json, requested: Json, read: unknown): boolean {
  const kept = dateKept(read);
  const held: unknown = current.occurrenceDateTime;
  const asked: unknown = requested.occurrenceDateTime;
  if (kept && typeof held === 'string' && typeof asked === 'string') {
    if (kept === 'day' && dayOf(asked) !== dayOf(held)) return false;
    if (kept === 'instant' && ![held, ...alsoHeld(read)].some((at) => Date.parse(asked) === Date.parse(at)))
      return false;
  }
  const receiver = (r: Json): string | undefined => r.receiver?.[0]?.display?.trim() || undefined;
  return !receiver(requested) || !receiver(current) || receiver(requested) === receiver(current);
}

/** The day a FHIR date or dateTime names, as written (the client's local day, as OpenLMIS was sent it). */
const dayOf = (dateTime: string): string => dateTime.slice(0, 10);

/**
 * How the system keeps the client's date received (domain Delivery.dateReceivedKept), from the
 * value it read (`held`); the read's FHIR cannot tell: a written delivery reads with the client's
 * identifier, and a dateTime there may be the system's own stamp.
 */
const dateKept = (held: unknown): Delivery['dateReceivedKept'] =>
  (held as Pick<Delivery, 'dateReceivedKept'> | undefined)?.dateReceivedKept;

/** The other instants the system holds as its date received (Delivery.receivedAtAlso). */
const alsoHeld = (held: unknown): string[] =>
  (held as Pick<Delivery, 'receivedAtAlso'> | undefined)?.receivedAtAlso ?? [];

/**
 * What identifies a cancelled order line, in the client's terms: codes and values, not the
 * displays a read adds (`display`, a facility's identifier beside its reference) nor what the
 * requisition carried while it existed (its period, the connector's default explanation).
 */
function cancelledLine(r: Json) {
  return {
    identifier: ((r.identifier ?? []) as Json[]).map((i) => `${i.system ?? ''}|${i.value ?? ''}`).sort(),
    deliverTo: r.deliverTo?.reference,
    category: codesOf(r.category),
    priority: r.priority,
    // R4 itemCodeableConcept / itemReference; R5 item (a CodeableReference)
    item: codesOf(r.itemCodeableConcept ?? r.item?.concept),
    itemReference: r.itemReference?.reference ?? r.item?.reference?.reference,
    quantity: { value: r.quantity?.value, code: r.quantity?.code, system: r.quantity?.system },
  };
}

/** One entry of a transaction's write (one order, one delivery, one resource), as it stands now. */
export interface WrittenEntry {
  index: number;
  /** What it asks for is already in place (alreadyInPlace), with no write to it pending. */
  inPlace: boolean;
  /** It carries an If-Match that names another version than the current one. */
  staleIfMatch: boolean;
}

/** An entry refused 412 and why: its resource changed (`others` empty), or others of its write change. */
export interface StaleEntry {
  index: number;
  /** Entries of the same write that are not in place: the reason an in-place entry is not excused. */
  others: number[];
}

/**
 * How a transaction Bundle sent again after it applied is answered, one write at a time (the
 * entries of one order are one write: ONE upstream requisition). A write all of whose entries are
 * in place is answered without a write (`inPlace`), each entry 200 with the resource as it is: a
 * stale If-Match there is the version the client read before its first send, as for a single PUT.
 * A write with any entry not in place is carried out as before, and every stale If-Match of it is
 * `refused` (412), an in-place entry's too. The same transaction sent again finds all of its order
 * in place; one that also adds or changes a line is a new change of the order, built on versions
 * of its lines the client did not see. Excusing the in-place lines would write a requisition
 * the client never read as a whole, so a write is in place entirely or not at all.
 */
export function retriedWrite(entries: WrittenEntry[]): { inPlace: true } | { inPlace: false; refused: StaleEntry[] } {
  if (entries.every((e) => e.inPlace)) return { inPlace: true };
  const others = entries.filter((e) => !e.inPlace).map((e) => e.index);
  const refused = entries
    .filter((e) => e.staleIfMatch)
    .map((e) => ({ index: e.index, others: e.inPlace ? others : [] }));
  return { inPlace: false, refused };
}
