const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Sakamoto's month offsets for the day of the week. */
const MONTH_OFFSET = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];

/**
 * An instant as an HTTP date (RFC 9110 §5.6.7, what Date#toUTCString writes), for Last-Modified
 * on every answer that carries a resource. The usual instant, `YYYY-MM-DDThh:mm:ss[.fff…]Z` (what
 * the store and the encoders write), is written from its digits: parsing it into a Date and
 * formatting that back were a per-answer cost (issue 18). Anything else (an offset, a leap second,
 * a day that does not exist) goes through Date, as before.
 */
export function httpDate(instant: unknown): string {
  if (typeof instant === 'string' && isPlainUtc(instant)) {
    const year = digits(instant, 0, 4);
    const month = digits(instant, 5, 2);
    const day = digits(instant, 8, 2);
    if (
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= daysInMonth(year, month) &&
      digits(instant, 11, 2) < 24 &&
      digits(instant, 14, 2) < 60 &&
      digits(instant, 17, 2) < 60 &&
      year >= 1000 // Date writes years below 1000 with their own padding
    ) {
      return `${DAYS[weekday(year, month, day)]}, ${instant.slice(8, 10)} ${MONTHS[month - 1]} ${instant.slice(0, 4)} ${instant.slice(11, 19)} GMT`;
    }
  }
  return new Date(instant as string).toUTCString();
}

/** YYYY-MM-DDThh:mm:ssZ or YYYY-MM-DDThh:mm:ss.<digits>Z, every digit a digit. */
function isPlainUtc(s: string): boolean {
  const n = s.length;
  if (n < 20 || s.charCodeAt(n - 1) !== 90 /* Z */) return false;
  for (let i = 0; i < 19; i++) {
    const c = s.charCodeAt(i);
    const expected = i === 4 || i === 7 ? 45 /* - */ : i === 10 ? 84 /* T */ : i === 13 || i === 16 ? 58 /* : */ : 0;
    if (expected ? c !== expected : c < 48 || c > 57) return false;
  }
  if (n === 20) return true;
  if (s.charCodeAt(19) !== 46 /* . */ || n === 21) return false;
  for (let i = 20; i < n - 1; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function digits(s: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) value = value * 10 + (s.charCodeAt(i) - 48);
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** 0 = Sunday, proleptic Gregorian (as Date). */
function weekday(year: number, month: number, day: number): number {
  const y = month < 3 ? year - 1 : year;
  return (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + MONTH_OFFSET[month - 1] + day) % 7;
}
