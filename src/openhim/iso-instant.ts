/** 0000-01-01 … 9999-12-31: the years Date#toISOString writes with four digits and no sign. */
const FIRST = -62167219200000;
const AFTER_LAST = 253402300800000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * Milliseconds since the epoch as Date#toISOString writes them (YYYY-MM-DDTHH:mm:ss.sssZ), for the
 * timestamps of every OpenHIM envelope: formatting through a Date cost about ten times the
 * arithmetic (issue 18). The civil date is Howard Hinnant's days_from_civil inverse. Anything
 * outside four-digit years, or not a whole millisecond, goes through Date as before (a NaN
 * still throws its RangeError).
 */
export function isoInstant(ms: number): string {
  if (!Number.isInteger(ms) || ms < FIRST || ms >= AFTER_LAST) return new Date(ms).toISOString();
  const days = Math.floor(ms / 86400000);
  let rest = ms - days * 86400000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3600000);
  rest -= hours * 3600000;
  const minutes = Math.floor(rest / 60000);
  rest -= minutes * 60000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const y = year < 10 ? `000${year}` : year < 100 ? `00${year}` : year < 1000 ? `0${year}` : `${year}`;
  return `${y}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(millis)}Z`;
}
