/** A scored candidate pair (indices into the left and right lists). */
export interface ScoredPair {
  left: number;
  right: number;
  score: number;
}

/**
 * One-to-one assignment: pairs taken in descending score order, each record used at most once
 * (`forced` pairs, e.g. deterministic identifier matches, go first). On sparse blocked candidate
 * graphs this greedy rule gives the same answer as an optimal assignment for all but near-ties,
 * and near-ties are exactly what the margin rule sends to review anyway.
 */
export function assignOneToOne(pairs: ScoredPair[], forced: ScoredPair[] = []): Map<number, ScoredPair> {
  const byLeft = new Map<number, ScoredPair>();
  const usedRight = new Set<number>();
  const take = (p: ScoredPair) => {
    if (byLeft.has(p.left) || usedRight.has(p.right)) return;
    byLeft.set(p.left, p);
    usedRight.add(p.right);
  };
  for (const p of forced) take(p);
  const sorted = [...pairs].sort((a, b) => b.score - a.score || a.left - b.left || a.right - b.right);
  for (const p of sorted) take(p);
  return byLeft;
}
