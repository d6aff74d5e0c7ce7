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
  return plainCalendarDate(value) ?? calendarDateByParts(value);
}

function isDigitAt(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c >= 0x30 && c <= 0x39;
}

function digitsAt(text: string, from: number, count: number): boolean {
  for (let i = from; i < from + count; i++) if (!isDigitAt(text, i)) return false;
  return true;
}

function numberAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) value = value * 10 + text.charCodeAt(i) - 0x30;
  return value;
}

/**
 * isCalendarDate's answer for the shapes nearly every value has, read from their digits:
 * `YYYY-MM-DD`, and `YYYY-MM-DDThh:mm:ss` with a fraction or not, then `Z` or `±hh:mm`.
 * undefined for any other text, which PARTS reads: its match array and strings per value were
 * most of a valid date's check (issue 18). The same limits as calendarDateByParts.
 */
function plainCalendarDate(v: string): boolean | undefined {
  const n = v.length;
  if (n < 10 || !digitsAt(v, 0, 4) || v.charCodeAt(4) !== 0x2d || !digitsAt(v, 5, 2)) return undefined;
  if (v.charCodeAt(7) !== 0x2d || !digitsAt(v, 8, 2)) return undefined;
  if (n > 10) {
    if (n < 20 || v.charCodeAt(10) !== 0x54 /* T */ || !digitsAt(v, 11, 2) || v.charCodeAt(13) !== 0x3a)
      return undefined;
    if (!digitsAt(v, 14, 2) || v.charCodeAt(16) !== 0x3a || !digitsAt(v, 17, 2)) return undefined;
    // the zone, read from the end: Z, or ±hh:mm
    let zoneAt = n - 1;
    let zoneHours = 0;
    let zoneMinutes = 0;
    if (v.charCodeAt(n - 1) !== 0x5a /* Z */) {
      zoneAt = n - 6;
      const sign = v.charCodeAt(zoneAt);
      if (n < 25 || (sign !== 0x2b && sign !== 0x2d) || !digitsAt(v, n - 5, 2) || v.charCodeAt(n - 3) !== 0x3a)
        return undefined;
      if (!digitsAt(v, n - 2, 2)) return undefined;
      zoneHours = numberAt(v, n - 5, 2);
      zoneMinutes = numberAt(v, n - 2, 2);
    }
    // between the seconds and the zone: nothing, or '.' and digits
    if (zoneAt !== 19 && !(zoneAt > 20 && v.charCodeAt(19) === 0x2e && digitsAt(v, 20, zoneAt - 20))) return undefined;
    if (numberAt(v, 11, 2) > 23 || numberAt(v, 14, 2) > 59 || numberAt(v, 17, 2) > 60) return false;
    if (zoneHours > 14 || zoneMinutes > 59) return false;
  }
  const month = numberAt(v, 5, 2);
  if (month < 1 || month > 12) return false;
  const day = numberAt(v, 8, 2);
  return day >= 1 && day <= daysIn(numberAt(v, 0, 4), month);
}

/** isCalendarDate by PARTS: every shape it takes. */
function calendarDateByParts(value: string): boolean {
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
