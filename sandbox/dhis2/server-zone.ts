/**
 * The server's time zone. DHIS2 keeps and exports timestamps as wall time without a zone in the
 * zone of its server (the JVM's default), which `GET /api/system/info` reports as
 * `serverTimeZoneId` (dhis2-core `SystemInfo.serverTimeZoneId`; the data entry and capture apps
 * read it there). A time sent with a zone or offset is the instant it names, kept as the wall
 * time of that instant in the server's zone; one sent without a zone is that zone's already.
 */

/**
 * The wall time (`yyyy-MM-ddTHH:mm:ss.SSS`) of instant `d` in `zone`: the sandbox's own
 * conversion (Intl's Swedish date format is ISO-like), not the mediator's, so a test can catch a
 * mistake in the mediator's.
 */
export function wallTime(d: Date, zone: string): string {
  const text = d.toLocaleString('sv-SE', { timeZone: zone, hourCycle: 'h23' }).replace(' ', 'T');
  return `${text}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
}

/** A time sent (`occurredAt`): with a zone or offset, its instant's wall time in `zone`; else as sent. */
export function keptWallTime(v: string, zone: string): string {
  if (!/T.*([zZ]|[+-]\d\d:?\d\d)$/.test(v)) return v;
  const at = new Date(v);
  return Number.isFinite(at.getTime()) ? wallTime(at, zone) : v.replace(/Z$/, '');
}

/** The zone's display name, as system/info gives it beside the id. */
export function zoneDisplayName(zone: string): string {
  return (
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'long' })
      .formatToParts(new Date())
      .find((x) => x.type === 'timeZoneName')?.value ?? zone
  );
}

/**
 * A time bound sent without a zone (`updatedAfter=2027-03-28T02:55:00.000`) as DHIS2 compares it
 * with the wall times it keeps: the JVM reads it as an instant in its zone (java.time's
 * LocalDateTime.atZone) and takes that instant's wall time, so a wall time the spring clock change
 * skips (02:00-03:00 in Berlin on 2027-03-28) is moved later by the gap (02:55 is 03:55); any
 * other is itself. One with a zone or offset is compared as sent, as this sandbox always has.
 */
export function boundWallTime(v: string, zone: string): string {
  if (zone === 'UTC' || zone === 'Etc/UTC' || /T.*([zZ]|[+-]\d\d:?\d\d)$/.test(v)) return v;
  const asUtc = Date.parse(`${v}Z`);
  if (!Number.isFinite(asUtc)) return v;
  const offsetAt = (at: number) => Date.parse(`${wallTime(new Date(at), zone)}Z`) - at;
  const wall = wallTime(new Date(asUtc), 'UTC');
  const before = offsetAt(asUtc - 86_400_000);
  const exists = [before, offsetAt(asUtc + 86_400_000)].some((o) => wallTime(new Date(asUtc - o), zone) === wall);
  return exists ? v : wallTime(new Date(asUtc - before), zone);
}
