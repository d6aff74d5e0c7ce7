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
