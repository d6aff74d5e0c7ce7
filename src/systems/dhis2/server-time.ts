/**
 * DHIS2's times without a zone are wall time in its server's zone: it keeps and exports tracker
 * timestamps (`occurredAt`, `updatedAt`: `2026-12-01T14:45:00.000`) in the zone of the JVM, which
 * `GET /api/system/info` reports as `serverTimeZoneId` (dhis2-core `SystemInfo`; the data entry
 * and capture apps read it there to show times). Read as UTC, a server in Colombo (+05:30) would
 * put every receipt five and a half hours late, and a time written as UTC wall time would land
 * that much early.
 */

/**
 * The zone a server reports (`serverTimeZoneId`), UTC when it reports none or one unknown here (said
 * once per id: its times would read shifted). Java's custom ids (`GMT+05:30`, `UTC+3`, `UT-02`,
 * `+05:30`: java.time ZoneId.of), which Intl does not know, are the fixed offset they name
 * (`+05:30`, read by offsetOf).
 */
export function serverZoneOf(id: unknown): string {
  if (typeof id !== 'string' || !id.trim()) return UTC;
  const fixed = /^(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(id.trim());
  if (fixed) {
    const [, sign, h, m = '00'] = fixed;
    return Number(h) > 18 || Number(m) > 59 ? unknownZone(id) : `${sign}${h.padStart(2, '0')}:${m}`;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: id });
    return id;
  } catch {
    return unknownZone(id);
  }
}

const warned = new Set<string>();

function unknownZone(id: string): string {
  if (!warned.has(id)) {
    warned.add(id);
    process.emitWarning(`DHIS2 serverTimeZoneId '${id}' is a zone unknown here: its times are read as UTC`);
  }
  return UTC;
}

/** The offset (ms) of a fixed-offset zone `+05:30`, undefined for a named zone. */
function fixedOffsetOf(zone: string): number | undefined {
  const m = /^([+-])(\d\d):(\d\d)$/.exec(zone);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : undefined;
}

export const UTC = 'Etc/UTC';

const isUtc = (zone: string) => zone === UTC || zone === 'UTC';

const formats = new Map<string, Intl.DateTimeFormat>();

/** Year … second of an instant in `zone`, read back as if UTC: the zone's offset is that minus the instant. */
function wallAsUtc(at: number, zone: string): number {
  const fixed = fixedOffsetOf(zone);
  if (fixed !== undefined) return at + fixed;
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + (((at % 1000) + 1000) % 1000);
}

/** The wall time without a zone (`yyyy-MM-ddTHH:mm:ss.SSS`) of instant `at` in `zone`: how DHIS2 keeps it. */
export function wallTimeIn(at: number, zone: string): string {
  const wall = isUtc(zone) ? at : wallAsUtc(at, zone);
  return new Date(wall).toISOString().replace(/Z$/, '');
}

const DAY = 86_400_000;

/** The offset of `zone` at instant `at` (ms). */
const offsetAt = (at: number, zone: string) => wallAsUtc(at, zone) - at;

/**
 * The instant a wall time without a zone names in `zone` (ms since the epoch; NaN when it is no
 * time), as java.time's LocalDateTime.atZone does (DHIS2 is a JVM): a wall time a clock change
 * repeats is the earlier instant (the offset in force before it), one a change skips is moved
 * later by the gap (read with the offset before it). The offsets a day either side are the
 * candidates: no zone changes twice within a day.
 */
export function instantOfWallTime(wall: string, zone: string): number {
  const asUtc = Date.parse(`${wall}Z`);
  if (!Number.isFinite(asUtc) || isUtc(zone)) return asUtc;
  const before = offsetAt(asUtc - DAY, zone);
  const after = offsetAt(asUtc + DAY, zone);
  const fits = [asUtc - before, asUtc - after].filter((at) => offsetAt(at, zone) === asUtc - at);
  return fits.length ? Math.min(...fits) : asUtc - before;
}

/**
 * The other instants whose wall time in `zone` is that of `at` (the other pass of an hour an
 * autumn clock change repeats; none elsewhere): DHIS2, keeping no offset, holds them as `at`.
 */
export function sameWallTimeAs(at: number, zone: string): number[] {
  if (isUtc(zone)) return [];
  const asUtc = Date.parse(`${wallTimeIn(at, zone)}Z`);
  const fits = [asUtc - offsetAt(asUtc - DAY, zone), asUtc - offsetAt(asUtc + DAY, zone)].filter(
    (x) => x !== at && offsetAt(x, zone) === asUtc - x,
  );
  return [...new Set(fits)];
}

/**
 * The instant DHIS2 reads back for instant `at` kept as its wall time in `zone`: `at` itself,
 * except in the later pass of an hour an autumn clock change repeats, whose wall time DHIS2 (as
 * java.time) reads as the earlier pass, an hour before. DHIS2 keeps no offset, so it cannot hold
 * such an instant apart from the earlier one.
 */
export function instantKeptAs(at: number, zone: string): number {
  return instantOfWallTime(wallTimeIn(at, zone), zone);
}

/**
 * A time as DHIS2 is to keep it or compare it (`occurredAt`, `occurredAfter=`): a date-time with a
 * zone or offset as its instant's wall time in the server's `zone`; a date, or a time already
 * without a zone, as sent (`Z` dropped).
 */
export function serverWallTime(v: string, zone: string): string {
  if (!/T.*([zZ]|[+-]\d\d:?\d\d)$/.test(v)) return v;
  const at = Date.parse(v);
  return Number.isFinite(at) ? wallTimeIn(at, zone) : v.replace(/Z$/, '');
}

/** serverWallTime of a filter bound, when there is one. */
export const serverFilterTime = (v: string | undefined, zone: string) =>
  v === undefined ? undefined : serverWallTime(v, zone);

/**
 * A lower bound without a zone (`updatedAfter=`, a feed's mark moved back by its overlap) as DHIS2
 * is to read it. A wall time a spring clock change skips (Berlin, 2027-03-28 02:00-03:00) DHIS2
 * reads as java.time does, moved later by the gap (instantOfWallTime): a mark at 03:05 moved back
 * ten minutes (02:55) asked from 03:55, and what was updated in between was never read. Such a
 * bound is sent as the wall time of the instant it means, the gap's length before (01:55); one in
 * a repeated hour the hour's length before; any other as it is.
 */
export function serverWallTimeFrom(wall: string, zone: string): string {
  const asUtc = Date.parse(`${wall}Z`);
  if (!Number.isFinite(asUtc) || isUtc(zone)) return wall;
  const readAs = instantOfWallTime(wall, zone);
  if (Date.parse(`${wallTimeIn(readAs, zone)}Z`) !== asUtc)
    return wallTimeIn(asUtc - offsetAt(asUtc + DAY, zone), zone);
  // in an hour an autumn change repeats (review S5): a mark read in the earlier pass (02:50) is a
  // later wall time than what the later pass updates after it (02:20), so the bound is moved back
  // by the hour's length, before the whole repeated hour (re-read: the keys make it add nothing)
  const later = sameWallTimeAs(readAs, zone).find((x) => x > readAs);
  return later === undefined ? wall : new Date(asUtc - (later - readAs)).toISOString().replace(/Z$/, '');
}

/**
 * serverWallTime of an upper bound (`lastUpdated:le:`, `updatedBefore=`), which DHIS2 compares
 * with its wall times. Every wall time of an hour a clock change repeats is read as its earlier
 * pass (instantOfWallTime), before any instant of the later pass: a bound in the later pass, sent
 * as its own wall time, left out the rest of the hour, which reads as before the bound. It is
 * moved on by the hour's length (a wider list, which the FHIR match narrows).
 */
export function serverWallTimeUpTo(v: string, zone: string): string {
  const wall = serverWallTime(v, zone);
  const at = Date.parse(v);
  if (wall === v || !Number.isFinite(at)) return wall;
  const readAs = instantOfWallTime(wall, zone);
  return readAs < at ? new Date(Date.parse(`${wall}Z`) + (at - readAs)).toISOString().replace(/Z$/, '') : wall;
}

/** serverWallTimeUpTo of a filter's upper bound, when there is one. */
export const serverFilterTimeUpTo = (v: string | undefined, zone: string) =>
  v === undefined ? undefined : serverWallTimeUpTo(v, zone);
