import type { FacilityOutcome, UnreadSystem } from './stock-to-dhis2.js';

/** Facilities listed one per line in a run's detail; the rest only counted. */
export const DETAIL_FACILITY_LINES = 20;

const WHY: Record<string, string> = {
  rejected: 'DHIS2 refused the values',
  queued: 'DHIS2 did not answer in time; the outbox resends them',
  'no-org-unit': 'no DHIS2 org unit (neither a crosswalk link nor a matching code)',
  'shared-org-unit': 'its org unit is fed by another facility',
};

/** A DHIS2 error's words without its "dhis2: " prefix: the line already says DHIS2 refused them. */
const withoutSystem = (error: string) => error.replace(/^dhis2: /, '');

/** One facility's problem, as one line: the period, the LMIS and facility, and why. */
function problemLine(period: string, o: FacilityOutcome): string {
  const where = `${period} ${o.system} facility ${o.facility}${o.orgUnit ? ` (org unit ${o.orgUnit.code ?? o.orgUnit.uid})` : ''}`;
  if (o.status in WHY) return `${where}: ${WHY[o.status]}${o.error ? `: ${withoutSystem(o.error)}` : ''}`;
  // values sent; what is wrong is the values DHIS2 still holds that the LMIS no longer yields
  const stale = o.stale?.length ?? 0;
  return `${where}: ${stale} stale value(s) ${o.staleStatus === 'rejected' ? `not deleted: ${o.error ?? 'refused'}` : 'left in DHIS2 (this DHIS2 connector cannot delete them)'}`;
}

/** An LMIS the run could not read, as one line: its facilities are not in this run. */
export const unreadLine = (period: string, u: UnreadSystem) =>
  `${period} ${u.system}: stock ledgers not read (${u.reason}); its facilities wait for the next run`;

/**
 * What a scheduled stock → DHIS2 run left behind, as the job run's detail (GET /admin/jobs, the
 * console, `jobs` CLI): each LMIS it could not read, then each facility whose values were refused,
 * are waiting, have no or a shared org unit, or left stale values, with why. The counts say how
 * many; the data manager needs which facility and why to fix the crosswalk or the mapping.
 * Undefined when nothing was left behind.
 */
export function stockRunDetail(
  problems: { period: string; outcome: FacilityOutcome }[],
  unread: { period: string; system: UnreadSystem }[] = [],
): string | undefined {
  if (!problems.length && !unread.length) return undefined;
  const lines = unread.map((u) => unreadLine(u.period, u.system));
  lines.push(...problems.slice(0, DETAIL_FACILITY_LINES).map((p) => problemLine(p.period, p.outcome)));
  if (problems.length > DETAIL_FACILITY_LINES)
    lines.push(`${problems.length - DETAIL_FACILITY_LINES} more (the bridge CLI's --json lists them all)`);
  return lines.join('\n');
}
