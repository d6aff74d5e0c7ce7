import { BusinessRuleError } from '../../domain/errors.js';
import type { StockReport } from '../../domain/index.js';

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
