/**
 * Change times kept to the whole second (OpenLMIS's requisition `modifiedDate`): two versions
 * changed within one second carry the same time, so an incremental download (`_lastUpdated=gt`
 * the latest time it saw) made between them never brings the second one. Such a time is refined
 * inside its own second by when the mediator first saw the version: still the upstream's second,
 * later for a later version, and a version seen only after its second ends is placed at the
 * second's last millisecond, after any version seen during it.
 */

const WHOLE_SECOND = /T\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)$/;

/** Whether the change time names a whole second (no fraction). */
export function isWholeSecond(stamp: string): boolean {
  return WHOLE_SECOND.test(stamp);
}

/** The whole-second `stamp` refined by the version's first sighting (epoch ms); the stamp itself when the sighting is not after its start. */
export function refinedStamp(stamp: string, seenAt: number): string {
  const start = Date.parse(stamp);
  if (Number.isNaN(start) || seenAt <= start) return stamp;
  return new Date(Math.min(seenAt, start + 999)).toISOString();
}
