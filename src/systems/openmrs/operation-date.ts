import { BusinessRuleError } from '../../domain/errors.js';
import type { StockReport } from '../../domain/index.js';
import { OPENMRS, OpenMrsError, makeOpenMrsError } from './errors.js';

/**
 * OpenMRS's stockmanagement module refuses a stock operation dated after its own clock
 * (StockOperationDTOValidator: `operationDate.after(new Date())`, a 400 "operationdatenotfuture"
 * on a create or update). The date is the client's: a phone whose clock runs ahead, or a typo in
 * the year, was sent and came back as OpenMRS's bare 400 naming no element of the resource (and,
 * queued while OpenMRS was away, only once it was back). Refused here instead, before anything
 * is recorded or sent, naming the element that carries the date.
 */
function refuseFuture(date: string, where: string, what: string, now: number): void {
  const at = Date.parse(date);
  if (Number.isNaN(at) || at <= now) return;
  throw new BusinessRuleError(
    `${where}: ${date} is in the future (${new Date(now).toISOString()} now): OpenMRS refuses ${what} dated after its own clock`,
    where,
  );
}

/** An order's authoredOn is its requisition's operationDate. */
export function refuseFutureOrderDate(authoredOn: string | undefined, now = Date.now()): void {
  if (authoredOn) refuseFuture(authoredOn, 'Order.authoredOn', 'a requisition', now);
}

/**
 * A count's operationDate is its latest countingDateTime, else its reportedDateTime (stock.ts
 * countedAt): any line counted in the future makes it so, and that line is named.
 */
export function refuseFutureCountDate(report: StockReport, now = Date.now()): void {
  const what = 'a stock operation';
  if (!report.lines.some((l) => !!l.countedAt))
    return refuseFuture(report.reportedAt, 'StockReport.reportedAt', what, now);
  report.lines.forEach(
    (l, i) => l.countedAt && refuseFuture(l.countedAt, `StockReport.lines[${i}].countedAt`, what, now),
  );
}

/**
 * OpenMRS's own refusal of a date as in the future when it is not after this mediator's clock:
 * OpenMRS's clock runs behind ours (a count made a second ago, a server a few seconds slow). The
 * date is right and becomes acceptable once OpenMRS's clock passes it, so the write is retried
 * (transient), not refused for good. A date after our clock too is the client's, refused.
 * Undefined for any other error.
 */
export function clockBehind(err: unknown, operationDate: string, now = Date.now()): OpenMrsError | undefined {
  if (!(err instanceof OpenMrsError) || err.upstreamStatus !== 400) return undefined;
  if (!/operationdatenotfuture/i.test(err.upstreamMessage ?? '')) return undefined;
  const at = Date.parse(operationDate);
  if (Number.isNaN(at) || at > now) return undefined;
  return makeOpenMrsError({
    system: OPENMRS,
    transient: true,
    status: 503,
    code: 'transient',
    upstreamStatus: 400,
    diagnostics: `OpenMRS refused the operation date ${operationDate} as in the future, which it is not by this mediator's clock (${new Date(now).toISOString()}): OpenMRS's clock is behind, and the write is sent again once it has passed that time`,
  });
}
