import { holdsRegistryId, isHumanDecision, type CrosswalkRow } from './crosswalk-types.js';

/**
 * A reconcile run's rows, checked against the crosswalk as it is when they are written. The run
 * offers the registry facilities nobody had linked when it read the crosswalk, then matches for
 * seconds (a national list); a data manager who links one of them meanwhile must keep it alone,
 * and so must another run's link written meanwhile (`reconcile --store` beside the weekly job:
 * the job's lock keeps instances of the job apart, not the CLI). A run's link to a facility that
 * a row it does not write (`retired` are written too) or a person's row holds for another record
 * goes to review instead, saying who holds it (mergeRun's words for a claim the run saw), its
 * candidates kept. Within one run the assignment is one-to-one: no row it keeps claims its picks.
 */
export function demoteClaimedMeanwhile(
  rows: CrosswalkRow[],
  now: CrosswalkRow[],
  retired: CrosswalkRow[] = [],
): CrosswalkRow[] {
  // what holds a facility once the run has written: a row it does not write, or a person's (kept)
  const written = new Set([...rows, ...retired].map((r) => r.systemId));
  const claimedBy = new Map<string, CrosswalkRow>();
  for (const r of now)
    if ((isHumanDecision(r) || !written.has(r.systemId)) && holdsRegistryId(r.state) && r.registryId)
      claimedBy.set(r.registryId, r);
  return rows.map((row) => {
    const holder = row.registryId ? claimedBy.get(row.registryId) : undefined;
    if (isHumanDecision(row) || !holdsRegistryId(row.state) || holder === undefined || holder.systemId === row.systemId)
      return row;
    // the run's pick stays its first candidate: the person may find the earlier link the wrong one
    const pick = { registryId: row.registryId!, score: row.score ?? 0, reasons: row.reasons };
    return {
      ...row,
      suggestions: [pick, ...row.suggestions.filter((s) => s.registryId !== row.registryId)],
      state: 'review',
      zone: 'review',
      registryId: undefined,
      reasons: [...row.reasons, { field: 'review', weight: 0, detail: claimSaid(holder) }],
    };
  });
}

/** Who holds the facility, in mergeRun's words for a person's link. */
function claimSaid(holder: CrosswalkRow): string {
  return isHumanDecision(holder)
    ? `registry record already matched by a reviewer to ${holder.systemId}`
    : `registry record already matched to ${holder.systemId} by another reconcile run`;
}
