import { BusinessRuleError } from '../../domain/errors.js';
import type { StockReport } from '../../domain/index.js';
import { OPENMRS, OpenMrsError, makeOpenMrsError } from './errors.js';

/**
 * How far ahead of this mediator's clock a date is still taken as now rather than refused. OpenMRS
 * allows none (`operationDate.after(new Date())`), but a count posted the moment it is made by a
 * phone whose clock is a few seconds or minutes fast is a right count: sent, refused by OpenMRS
 * as in the future, and retried until that time has passed (clockBehind), not refused for good.
 */
export const CLOCK_ALLOWANCE_MS = 5 * 60_000;

/**
 * The earliest instant a date may mean. A date without a time (`2026-12-07`) is read by OpenMRS
 * as midnight in its own time zone, which the mediator does not know: it is today somewhere from
 * midnight at UTC+14, so it is in the future only once it is after today there too (a count of
 * today sent at 01:00 in Nairobi is 22:00 UTC the day before).
 */
function earliestInstant(date: string): number {
  const at = Date.parse(date);
  return date.includes('T') ? at : at - 14 * 3_600_000;
}

/** Whether the date is after now by more than a clock's allowance (NaN is not: it is not ours to judge). */
function surelyFuture(date: string, now: number): boolean {
  return earliestInstant(date) > now + CLOCK_ALLOWANCE_MS;
}

/**
 * OpenMRS's stockmanagement module refuses a stock operation dated after its own clock
 * (StockOperationDTOValidator: `operationDate.after(new Date())`, a 400 "Operation date must not be
 * in the future" at `operationDate` on a create or update). The date is the client's: a typo in
 * the year, or a phone whose clock runs far ahead, was sent and came back as OpenMRS's bare 400
 * naming no element of the resource (and, queued while OpenMRS was away, only once it was back).
 * Refused here instead, before anything is recorded or sent, naming the element that carries the
 * date; a date within the clock allowance is sent (and waited for, clockBehind).
 */
function refuseFuture(date: string, where: string, what: string, now: number): void {
  if (!surelyFuture(date, now)) return;
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
 * OpenMRS's own refusal of a date as in the future when it is not so by this mediator's clock
 * (give or take the allowance): OpenMRS's clock runs behind ours (a count made a second ago, a
 * server a few seconds slow) or the client's a little ahead. The date is right and becomes
 * acceptable once OpenMRS's clock passes it, so the write is retried (transient), not refused for
 * good; OpenMRS answered, so it is up (`systemUp`: no breaker counts it, only this write waits,
 * charged, so a clock hours behind ends as a dead letter). A date surely after our clock too is
 * the client's, refused. Undefined for any other error.
 */
export function clockBehind(err: unknown, operationDate: string, now = Date.now()): OpenMrsError | undefined {
  if (!refusedDate(err) || Number.isNaN(Date.parse(operationDate)) || surelyFuture(operationDate, now))
    return undefined;
  return makeOpenMrsError({
    system: OPENMRS,
    transient: true,
    systemUp: true,
    status: 503,
    code: 'transient',
    upstreamStatus: 400,
    diagnostics: `OpenMRS refused the operation date ${operationDate} as in the future, which it is not by this mediator's clock (${new Date(now).toISOString()}): OpenMRS's clock is behind, and the write is sent again once it has passed that time`,
  });
}

/**
 * OpenMRS's 400 refusing the operation's date: the validator's error at the `operationDate` field.
 * Told by the field, not the words: the module passes its message already resolved as the error's
 * code ("Operation date must not be in the future", in the integration user's locale), so the
 * answer never carries the key `operationdatenotfuture`. The only other refusal at that field is
 * of a date missing, which a stock operation's body never is.
 */
function refusedDate(err: unknown): err is OpenMrsError {
  return (
    err instanceof OpenMrsError &&
    err.upstreamStatus === 400 &&
    err.reasonCode === 'webservices.rest.error.invalid.submission' &&
    /(?:^|[:;] )operationDate: /.test(err.upstreamMessage ?? '')
  );
}
