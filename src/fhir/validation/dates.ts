/**
 * FHIR date, dateTime and instant values must be real calendar dates and times: the official
 * schemas' regular expressions accept 2026-02-30 and 24:00 (FHIR R5 datatypes.html#dateTime:
 * "dates SHALL be valid dates").
 */
const PARTS = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-](\d{2}):(\d{2}))?)?)?)?$/;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days in a month (1-12) of a year, by the Gregorian rule, with no Date made per value (it was
 * most of a valid date's check). Years 0-99 count as 1900-1999, as Date.UTC reads them, so each
 * answer is the one `new Date(Date.UTC(year, month, 0)).getUTCDate()` gave.
 */
export function daysIn(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1];
  const y = year >= 0 && year <= 99 ? year + 1900 : year;
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
}

/** True when a FHIR-shaped date/dateTime string names a real day and time (unknown shapes: true, the schema judges them). */
export function isCalendarDate(value: string): boolean {
  const m = PARTS.exec(value);
  if (!m) return true;
  const [, y, mo, d, h, mi, s, , zh, zm] = m;
  const year = Number(y);
  if (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12)) return false;
  if (d !== undefined && (Number(d) < 1 || Number(d) > daysIn(year, Number(mo)))) return false;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 60))) return false;
  if (zh !== undefined && (Number(zh) > 14 || Number(zm) > 59)) return false;
  return true;
}

/** Looks like a date or dateTime (so worth checking as one). */
export function looksLikeDate(value: string): boolean {
  return /^\d{4}-\d{2}(-\d{2})?(T|$)/.test(value);
}

/**
 * The earliest instant a partial date/dateTime can mean (start) or the latest (end), in epoch
 * ms, for comparing Period.start with Period.end at their own precision (FHIR per-1).
 */
export function instantBound(value: string, bound: 'low' | 'high'): number | undefined {
  const m = PARTS.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h] = m;
  if (h !== undefined) return Date.parse(value);
  const year = Number(y);
  if (bound === 'low') return Date.UTC(year, mo ? Number(mo) - 1 : 0, d ? Number(d) : 1);
  // the end of the year, month or day named, so that start=2026-03 end=2026-03 is a valid period
  if (d !== undefined) return Date.UTC(year, Number(mo) - 1, Number(d) + 1) - 1;
  if (mo !== undefined) return Date.UTC(year, Number(mo), 1) - 1;
  return Date.UTC(year + 1, 0, 1) - 1;
}
