import { distance as levenshtein } from 'fastest-levenshtein';
import type { MatchZone } from '../src/registry/crosswalk-types.js';
import type { RunOutcome } from '../src/registry/match/evaluate.js';
import type { MatchRecord } from '../src/registry/match/prepare.js';

/**
 * A re-implementation of GOFR's automatic matching (reference/registry.md §2.2) used as the
 * side-by-side baseline: automatch on any equal identifier value (systems ignored) or on
 * case-insensitive Levenshtein distance 0 within the same parent; greedy in list order; the
 * rest get suggestions bucketed by raw edit distance within the parent (5 smallest distances).
 * Review = every unmatched record that has at least one suggestion.
 */
export function gofrBaseline(
  left: MatchRecord[],
  right: MatchRecord[],
  parentLevel: string | undefined,
): RunOutcome & { bucketSuggestions: number[][] } {
  const parentOf = (r: MatchRecord) => {
    const path = r.facility.areaPath ?? [];
    const levels = r.areaLevels ?? path.map((_, i) => `level-${path.length - i}`);
    const i = parentLevel ? levels.indexOf(parentLevel) : path.length - 1;
    return (i >= 0 ? path[i] : '')?.toLowerCase() ?? '';
  };
  const byParent = new Map<string, number[]>();
  right.forEach((r, i) => {
    const p = parentOf(r);
    byParent.set(p, [...(byParent.get(p) ?? []), i]);
  });
  const byId = new Map<string, number[]>();
  right.forEach((r, i) =>
    r.facility.identifiers.forEach((id) => byId.set(id.value, [...(byId.get(id.value) ?? []), i])),
  );
  const claimed = new Set<number>();
  const zones: MatchZone[] = [];
  const autoRight: (number | undefined)[] = [];
  const suggestions: number[][] = [];
  const bucketSuggestions: number[][] = [];
  left.forEach((l, li) => {
    const name = l.facility.name.toLowerCase();
    const siblings = (byParent.get(parentOf(l)) ?? []).filter((i) => !claimed.has(i));
    const idHit = l.facility.identifiers.flatMap((id) => byId.get(id.value) ?? []).find((i) => !claimed.has(i));
    const nameHit = siblings.find((i) => right[i].facility.name.toLowerCase() === name);
    const hit = idHit ?? nameHit;
    if (hit !== undefined) {
      claimed.add(hit);
      zones[li] = 'auto';
      autoRight[li] = hit;
      suggestions[li] = [];
      bucketSuggestions[li] = [];
      return;
    }
    const scored = siblings
      .map((i) => ({ i, d: levenshtein(name, right[i].facility.name.toLowerCase()) }))
      .sort((a, b) => a.d - b.d || a.i - b.i);
    const kept = [...new Set(scored.map((s) => s.d))].slice(0, 5);
    bucketSuggestions[li] = scored.filter((s) => kept.includes(s.d)).map((s) => s.i);
    suggestions[li] = scored.slice(0, 3).map((s) => s.i);
    zones[li] = scored.length ? 'review' : 'no-match';
    autoRight[li] = undefined;
  });
  return { zones, autoRight, suggestions, bucketSuggestions };
}
