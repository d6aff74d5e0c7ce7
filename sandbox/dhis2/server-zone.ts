/**
 * The server's time zone. DHIS2 keeps and exports timestamps as wall time without a zone in the
 * zone of its server (the JVM's default), which `GET /api/system/info` reports as
 * `serverTimeZoneId` (dhis2-core `SystemInfo.serverTimeZoneId`; the data entry and capture apps
 * read it there). A time sent with a zone or offset is the instant it names, kept as the wall
 * time of that instant in the server's zone; one sent without a zone is that zone's already.
 */
import { wallTimeIn } from '../../src/systems/dhis2/server-time.js';

/** The wall time (`yyyy-MM-ddTHH:mm:ss.SSS`) of instant `d` in `zone`. */
export const wallTime = (d: Date, zone: string): string => wallTimeIn(d.getTime(), zone);

/** The zone's display name, as system/info gives it beside the id. */
export function zoneDisplayName(zone: string): string {
  return (
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'long' })
      .formatToParts(new Date())
      .find((x) => x.type === 'timeZoneName')?.value ?? zone
  );
}
