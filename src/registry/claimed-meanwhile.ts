import { holdsRegistryId, isHumanDecision, type CrosswalkRow } from './crosswalk-types.js';

/**
 * A reconcile run's rows, checked against the crosswalk as it is when they are written. The run
 * offers the registry facilities nobody had linked when it read the crosswalk, then matches for
 * seconds (a national list); a data manager who links one of them meanwhile must keep it alone.
 * A run's link to a facility a person has since linked to another record goes to review instead,
 * saying who holds it (mergeRun's words for a claim the run saw), its candidates kept.
 */
export function demoteClaimedMeanwhile(rows: CrosswalkRow[], now: CrosswalkRow[]): CrosswalkRow[] {
  const claimedBy = new Map<string, string>();
  for (const r of now)
    if (isHumanDecision(r) && holdsRegistryId(r.state) && r.registryId) claimedBy.set(r.registryId, r.systemId);
  return rows.map((row) => {
    const holder = row.registryId ? claimedBy.get(row.registryId) : undefined;
    if (isHumanDecision(row) || !holdsRegistryId(row.state) || holder === undefined || holder === row.systemId)
      return row;
    // the run's pick stays its first candidate: the person may find the earlier link the wrong one
    const pick = { registryId: row.registryId!, score: row.score ?? 0, reasons: row.reasons };
    return {
      ...row,
      suggestions: [pick, ...row.suggestions.filter((s) => s.registryId !== row.registryId)],
      state: 'review',
      zone: 'review',
      registryId: undefined,
      reasons: [
        ...row.reasons,
        { field: 'review', weight: 0, detail: `registry record already matched by a reviewer to ${holder}` },
      ],
    };
  });
}
