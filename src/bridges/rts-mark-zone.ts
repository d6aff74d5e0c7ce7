import type { Store } from '../store/types.js';
import { instantOfWallTime, wallTimeIn } from '../systems/dhis2/server-time.js';

/**
 * The RTS feeds' DHIS2 marks are wall times in the server's zone (server-time.ts), which DHIS2
 * does not keep beside them. A server moved to a zone west of its old one (Colombo, +05:30, to
 * Bogotá, -05:00) gives new events wall times before the stored mark, so they were skipped until
 * its clock passed the mark: for that move ten and a half hours of requisitions and receipts not
 * bridged (review RC). So the zone a mark was written in is kept beside it (`<cursor>|zone`), and
 * a mark written in another zone than the server's now is read as the same instant's wall time
 * there, or as itself when that is earlier: moved east, events updated before the move but after
 * the last run keep their old, later-reading wall times. Re-reading what lies between adds
 * nothing (the bridge's writes are keyed). A mark stored before zones were kept is taken to be in
 * the server's zone now, as it was read before.
 */

export const zoneCursorOf = (cursor: string) => `${cursor}|zone`;

/**
 * After a move west, until when (a wall time in the new zone) events updated before the move can
 * read later than new ones: the old zone's wall time when the move was seen.
 */
export const movedCursorOf = (cursor: string) => `${cursor}|movedWestUntil`;

/** A DHIS2 mark written in `markZone`, as a bound in the server's `zone` now (never later than it was). */
export function markInZone(mark: string, markZone: string | undefined, zone: string): string {
  if (markZone === undefined || markZone === zone) return mark;
  const at = instantOfWallTime(mark, markZone);
  if (!Number.isFinite(at)) return mark;
  const moved = wallTimeIn(at, zone);
  return moved < mark ? moved : mark;
}

/**
 * The stored mark of `cursor` as a bound in the server's `zone` now; stored so, with that zone,
 * when it was written in another (or before zones were kept), so the next marks compare with it.
 */
export async function markOf(
  store: Store,
  cursor: string,
  zone: string,
  now = Date.now(),
): Promise<string | undefined> {
  const stored = await store.getCursor(cursor);
  if (stored === undefined) return undefined;
  const markZone = await store.getCursor(zoneCursorOf(cursor));
  if (markZone === zone) return stored;
  const mark = markInZone(stored, markZone, zone);
  if (markZone !== undefined && wallTimeIn(now, markZone) > wallTimeIn(now, zone))
    await store.setCursor(movedCursorOf(cursor), wallTimeIn(now, markZone));
  await saveMark(store, cursor, mark, zone, now);
  return mark;
}

/**
 * The next mark and the zone it is written in. For hours after a move west, events updated before
 * it keep wall times ahead of the new ones, and a mark taken from them skipped the new ones again:
 * until the clock passes those wall times, the mark is never after the wall time now (they are
 * re-read meanwhile, adding nothing). The mark is written before the zone: a process that dies
 * between the two leaves a new mark beside the old zone, which markInZone reads at most further
 * back; the zone first would leave the old mark read in the new zone, hours late after a move
 * west. `now` is DHIS2's clock (the bridge passes system/info's serverDate): a mark held at the
 * mediator's wall time, ahead of DHIS2's by more than the feeds' overlap, passed what DHIS2 stamped
 * after the run. Returns the mark stored.
 */
export async function saveMark(
  store: Store,
  cursor: string,
  next: string,
  zone: string,
  now = Date.now(),
): Promise<string> {
  const nowThere = wallTimeIn(now, zone);
  const movedUntil = await store.getCursor(movedCursorOf(cursor));
  const mark = movedUntil !== undefined && nowThere < movedUntil && next > nowThere ? nowThere : next;
  await store.setCursor(cursor, mark);
  if ((await store.getCursor(zoneCursorOf(cursor))) !== zone) await store.setCursor(zoneCursorOf(cursor), zone);
  return mark;
}
