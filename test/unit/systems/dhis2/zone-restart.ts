/**
 * What the tests of DHIS2's zone asked again share: DHIS2 restarting in another zone, wall times as
 * a DHIS2 user in a zone enters them, and a completed requisition event as such a user enters it.
 */
import { ZONE_REUSE_MS } from '../../../../src/systems/dhis2/client.js';
import { REQUISITION } from '../../../../sandbox/dhis2/index.js';
import { wallTime as sandboxWallTime } from '../../../../sandbox/dhis2/server-zone.js';
import type { Harness } from './harness.js';

/** `iso` as a wall time in `zone`, the way DHIS2 keeps an event entered there. */
export const wallAt = (iso: string, zone: string) => sandboxWallTime(new Date(iso), zone);

/** How often the connector asked DHIS2's system/info (its zone) so far. */
export const systemInfoAsked = (h: Harness) => h.sandbox.state.count('GET', '/api/system/info');

/** DHIS2 restarts in `zone`: a restart takes minutes, past the zone's reuse (ZONE_REUSE_MS). */
export const restartIn = (h: Harness, zone: string) => {
  h.sandbox.state.timeZone = zone;
  h.advance(ZONE_REUSE_MS);
};

/** A completed requisition event of 150 ORS at `orgUnit`, occurred at the wall time given. */
export const requisitionAt = (orgUnit: string) => (event: string, occurredAt: string) => ({
  event,
  program: REQUISITION.program,
  programStage: REQUISITION.stage,
  orgUnit,
  occurredAt,
  status: 'COMPLETED',
  dataValues: [{ dataElement: REQUISITION.quantities.EM_ORS, value: '150' }],
});
