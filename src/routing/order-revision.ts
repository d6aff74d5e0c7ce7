import { BusinessRuleError, ConflictError } from '../domain/errors.js';
import { canonicalJson, contentVersion } from '../domain/ids.js';
import type { Order, OrderLine } from '../domain/index.js';
import type { WriteContext } from '../fhir/services.js';
import type { JobStatus } from '../store/types.js';

/** The write of this order the outbox holds last (the job the order's links point at). */
export interface WrittenOrder {
  value: Order;
  status: JobStatus;
  system: string;
}

/**
 * Which revision of its order an update is (issue 16: orders that can be changed and cancelled).
 * A PUT or PATCH that changes an order already written is an amendment: the same business key
 * with a new revision, so the outbox takes it as a new write (`order|…|rev:N`), delivered once.
 * The same write sent again keeps its revision and is a duplicate. A POST reusing an order number
 * for other content stays what it was: a different order, refused by the outbox as a conflict.
 *
 * Changes wait for the write before them: an amendment of an order whose earlier write is still
 * queued is refused (409), so revisions reach the system one after another; the connector also
 * keeps the revision upstream and skips one older than what it holds.
 */
export function orderRevision(value: Order, context: WriteContext, written: WrittenOrder | undefined): Order {
  if (context.mode !== 'update') return value;
  const current = context.current?.value as Order | undefined;
  if (current && written) value = inWrittenTerms(value, current, written.value);
  if (written && sameOrderContent(written.value, value)) return withRevision(value, written.value.revision);
  if (!current && !written) return value;
  // the order as first written was refused or given up: nothing of it is upstream, this is it again
  // (a Bundle entry carries no read of the current order: the job's status tells what happened)
  if (written && !current && !written.value.revision && (written.status === 'rejected' || written.status === 'dead'))
    return value;
  if (written && (written.status === 'pending' || written.status === 'in-flight'))
    throw new ConflictError(earlierChangeInFlight(value, written), 409, ['SupplyRequest']);
  if ((current ?? written!.value).status === 'cancelled')
    throw new ConflictError(`order ${value.orderNumber.value} is cancelled: it cannot be changed any more`, 409, [
      'SupplyRequest.status',
    ]);
  const revision = Math.max(written?.value.revision ?? 0, current?.revision ?? 0) + 1;
  // a cancellation is of the order as written, in the client's own terms: a DELETE arrives as the
  // resource read back, which may not carry everything the client sent (a program, a reference)
  if (value.status === 'cancelled') return { ...(written?.value ?? value), status: 'cancelled', revision };
  // the client's own terms first (a facility it named by identifier reads back by id)
  const before = written?.value ?? current!;
  const amended = keepUnsaidProgram(before, value);
  assertSameRouting(before, amended);
  return { ...amended, revision };
}

/**
 * Why a change waits for the one before it, in a client's words: which order, that this change was
 * neither checked against its If-Match nor written (a 409, not a 412: its version may well be
 * current), and when to send it again. Not the outbox's status names.
 */
function earlierChangeInFlight(value: Order, written: WrittenOrder): string {
  const where =
    written.status === 'in-flight'
      ? `is being delivered to ${written.system} right now`
      : `is waiting to be delivered to ${written.system} (it is retried until ${written.system} takes it)`;
  return `order ${value.orderNumber.value} was not changed: an earlier change of it ${where}, and an order takes its changes one at a time. Nothing of this change was written or queued; send it again once the earlier change is delivered`;
}

/**
 * The change in the terms the order was written in. A DELETE of one line, or a PATCH, is applied to
 * the order as its system reads it back (facility and product displays, the period, the connector's
 * default explanation, the upstream id): left as that, a change would never equal what the client
 * sends next in its own terms, so an unchanged re-upload after it would be one more amendment of the
 * same content (issue 16). What the change leaves as the read-back has it is taken as written
 * before: member by member, and within each line the client kept (matched by its id, else by
 * product), field by field. What the change did change is kept as it says, and so is what the
 * system changed since (a read-back member that is not the written one plus what the system adds):
 * a change of one line never puts back a quantity someone edited in the system.
 */
function inWrittenTerms(value: Order, current: Order, before: Order): Order {
  const rebased: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(value), ...Object.keys(before)]);
  for (const key of keys) {
    if (key === 'lines') continue;
    const k = key as keyof Order;
    rebased[key] = same(value[k], current[k]) && covers(current[k], before[k]) ? before[k] : value[k];
  }
  rebased.lines = value.lines.map((line) => {
    const read = current.lines.find((l) => sameLine(l, line));
    const written = before.lines.find((l) => sameLine(l, line));
    return read && written ? rebaseFields(line, read, written) : line;
  });
  return rebased as unknown as Order;
}

function rebaseFields(line: OrderLine, read: OrderLine, written: OrderLine): OrderLine {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(line), ...Object.keys(written)])) {
    const k = key as keyof OrderLine;
    out[key] = same(line[k], read[k]) && covers(read[k], written[k]) ? written[k] : line[k];
  }
  return out as unknown as OrderLine;
}

/** The same line of the order: by the client's line id where both carry one, else by product. */
function sameLine(a: OrderLine, b: OrderLine): boolean {
  if (a.lineId !== undefined && b.lineId !== undefined) return a.lineId === b.lineId;
  return a.product.system === b.product.system && a.product.code === b.product.code;
}

/** The read-back says what was written, perhaps with more (a display, an id, a default the system adds). */
function covers(read: unknown, written: unknown): boolean {
  if (written === undefined || same(read, written)) return true;
  if (!isRecord(read) || !isRecord(written)) return false;
  return Object.keys(written).every((k) => covers(read[k], written[k]));
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function same(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && canonicalJson(a) === canonicalJson(b));
}

/**
 * A change that does not name the program keeps the order's: a PATCH is applied to the order as
 * its system reads it back, and a system that keeps no program on an order (Open mSupply) reads
 * back none. Saying nothing about the program is not moving the order out of it.
 */
function keepUnsaidProgram(before: Order, after: Order): Order {
  return after.program === undefined && before.program !== undefined ? { ...after, program: before.program } : after;
}

function withRevision(value: Order, revision: number | undefined): Order {
  return revision === undefined ? { ...value, revision: undefined } : { ...value, revision };
}

/** Equal as the client wrote them: ids, lines, fields; the revision and times are ours. */
export function sameOrderContent(a: Order, b: Order): boolean {
  const strip = (o: Order) => ({ ...o, revision: undefined, lastUpdated: undefined });
  return contentVersion(strip(a)) === contentVersion(strip(b));
}

/**
 * An amendment changes what is ordered, not where the order lives: the upstream keeps an order
 * under its facility, program and kind (an OpenLMIS requisition cannot move), so moving it is a
 * cancellation and a new order.
 */
function assertSameRouting(before: Order, after: Order): void {
  const facility = (o: Order) => o.facility.id ?? `${o.facility.identifier?.system}|${o.facility.identifier?.value}`;
  const moved = [
    facility(before) !== facility(after) && 'deliverTo',
    (before.program ?? '') !== (after.program ?? '') && 'category',
    isUrgent(before) !== isUrgent(after) && 'priority',
  ].filter((x): x is string => !!x);
  if (moved.length)
    throw new BusinessRuleError(
      `order ${after.orderNumber.value} cannot change its ${moved.join(', ')} by an update: the system keeps an order under its facility, program and priority; cancel it and send a new order`,
      moved.map((m) => `SupplyRequest.${m}`),
    );
}

function isUrgent(o: Order): boolean {
  return o.priority !== 'routine';
}
