import type { ScoreReason } from '../crosswalk-types.js';
import type { PairComparison } from './features.js';

/**
 * A registry facility the registry has closed (status inactive) is never linked automatically to
 * a record still live in its system (active or suspended). Propagation deactivates every record
 * linked to a closed registry facility (propagation/plan.ts), so such an automatic link closed the
 * system's live record at the next run without anyone having decided it: the old facility whose
 * open successor shares its name, or a live record still carrying the old code. A person decides
 * (review, where this reason is shown; an accept then needs `"linkClosed": true`: closed-link.ts),
 * or the open successor wins when it clearly beats the closed one by the ordinary rules.
 *
 * A record itself inactive in its system may be linked to a closed facility automatically: there
 * is nothing live to deactivate, and the link keeps the system's old record tied to its registry
 * entry instead of offering that entry to the live records. Status stays a matcher feature
 * (features.ts statusLevel) with its calibrated weight; this is a rule after scoring, not a score.
 */
export function closedForLiveRecord({
  a,
  b,
}: {
  a: Pick<PairComparison['a'], 'status'>;
  b: Pick<PairComparison['b'], 'status'>;
}): boolean {
  return b.status === 'inactive' && a.status !== 'inactive';
}

export function closedInRegistryReason({ a }: Pick<PairComparison, 'a'>): ScoreReason {
  return {
    field: 'closed-in-registry',
    weight: 0,
    detail:
      `the registry facility is closed (inactive) while the record is ${a.status} in its system: linked, ` +
      'the record would be deactivated by the next registry propagation; never automatic (link its successor, or accept it with "linkClosed": true)',
  };
}

/**
 * A suggestion's score and reasons, with the reason above when it is a closed facility offered
 * for a live record: the review queue shows each candidate's own reasons (not the row's), so this
 * is where the data manager reads why the run did not link it.
 */
export function withClosedReason<T extends { reasons: ScoreReason[] }>(
  comparison: Pick<PairComparison, 'a' | 'b'>,
  scored: T,
): T {
  if (!closedForLiveRecord(comparison)) return scored;
  return { ...scored, reasons: [...scored.reasons, closedInRegistryReason(comparison)] };
}
