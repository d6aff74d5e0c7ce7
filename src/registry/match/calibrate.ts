import { scoreOutcome, type BenchmarkFigures, type RunOutcome, type Truth } from './evaluate.js';
import { FEATURE_LEVELS, FEATURES, type FeatureName } from './features.js';
import { scoreGraph, suggestionsFor, zonesFor, type CandidateGraph, type ScoredGraph } from './matcher.js';
import type { MatchWeights, Thresholds } from './weights.js';

/**
 * Calibration policy (the same for every input; the shipped table was produced by it on the Kenya
 * training split, see bench/reconcile.ts --calibrate):
 *  - m/u per feature level are estimated from labelled candidate pairs (m among true pairs, u
 *    among the other blocked candidates), with add-one smoothing; a feature with fewer than
 *    MIN_OBSERVED labelled non-missing true pairs keeps its prior (distance and identifiers,
 *    absent from the Kenya lists, keep documented priors).
 *  - auto threshold and margin: the pair that maximises auto recall while auto precision stays
 *    ≥ PRECISION_FLOOR and false automatches on records without a counterpart ≤ FALSE_AUTO_CEILING
 *    (stricter than the 0.99 / 0.03 so a new list keeps a safety gap; about 1% of the Kenya code-based truth is itself noise — recoded facilities with identical names — so precision saturates near 0.994).
 *    The auto threshold is never below AUTO_FLOOR: cross-validation by county showed that a
 *    threshold fitted on half the counties can drop too low and double false automatches.
 *  - review threshold: the lowest score that keeps the review queue ≤ REVIEW_SHARE_CAP of the
 *    left list (a workload budget) and never below REVIEW_FLOOR (likelihood ratio 1:2).
 */
export interface CalibrationPolicy {
  MIN_OBSERVED: number;
  PRECISION_FLOOR: number;
  FALSE_AUTO_CEILING: number;
  AUTO_FLOOR: number;
  REVIEW_SHARE_CAP: number;
  CLEAR_RELAX: number;
  CLEAR_MIN_MARGIN: number;
  CLEAR_PRECISION_GUARD: number;
  CLEAR_FALSE_AUTO_GUARD: number;
  REVIEW_FLOOR: number;
}

export const CALIBRATION_POLICY: Readonly<CalibrationPolicy> = {
  MIN_OBSERVED: 30,
  PRECISION_FLOOR: 0.992,
  FALSE_AUTO_CEILING: 0.025,
  /** Never auto-match below a likelihood ratio of 2^6 = 64:1, however clean the calibration set looked. */
  AUTO_FLOOR: 6,
  REVIEW_SHARE_CAP: 0.12,
  /**
   * Clear-winner rule (clear-winner.ts): auto also at most CLEAR_RELAX bits below the auto
   * threshold when the pick beats every competitor (for either record) by CLEAR_MIN_MARGIN bits
   * and neither its type nor its top-level area contradicts it. Chosen by two-fold county
   * cross-validation of the Kenya training split (bench --cv: calibrate on one half, measure on
   * the other, both ways); hard recall / false auto on unmatched on the measured half:
   *   relax 1 (margin 4, old rule):  .599/.025 and .538/.018
   *   relax 2, margin 4 (shipped):   .629/.025 and .575/.020
   *   relax 2, margin 6:             .609/.025 and .571/.020
   *   relax 2.5, margin 4:           .632/.029 and .599/.020   (false autos rise on one half)
   * The type/area condition is what makes 2 bits safe: without it (relax 2, margin 4) false auto
   * on unmatched rose to .041 on one half, mostly private clinics paired with the public
   * dispensary of the same village.
   */
  CLEAR_RELAX: 2,
  CLEAR_MIN_MARGIN: 4,
  /** The rule is dropped if the calibration set breaks the limits with it. */
  CLEAR_PRECISION_GUARD: 0.99,
  CLEAR_FALSE_AUTO_GUARD: 0.03,
  REVIEW_FLOOR: -1,
} as const;

function estimateWeights(graph: CandidateGraph, truth: Truth, prior: MatchWeights, minObserved: number): MatchWeights {
  const features = structuredClone(prior.features);
  for (const f of FEATURES) {
    const levels = FEATURE_LEVELS[f].filter((l) => l !== 'missing') as string[];
    const mCount = new Map<string, number>(levels.map((l) => [l, 0]));
    const uCount = new Map<string, number>(levels.map((l) => [l, 0]));
    graph.perLeft.forEach((pairs, li) => {
      const t = truth.get(li);
      for (const p of pairs) {
        const level = p.comparison.levels[f as FeatureName] as string;
        if (level === 'missing') continue;
        const target = p.right === t ? mCount : uCount;
        target.set(level, (target.get(level) ?? 0) + 1);
      }
    });
    const mTotal = [...mCount.values()].reduce((a, b) => a + b, 0);
    const uTotal = [...uCount.values()].reduce((a, b) => a + b, 0);
    if (mTotal < minObserved || uTotal < minObserved) continue;
    // Levels named `group:x` are joint with the name level (rarity, type): their m and u are
    // conditional on the group (P(x | group, match)), so that name weight + this weight is the
    // log-likelihood ratio of the pair of outcomes (chain rule), not name agreement counted twice.
    const groupOf = (l: string) => (l.includes(':') ? l.slice(0, l.indexOf(':')) : '');
    const sum = (counts: Map<string, number>, g: string) => levels.filter((l) => groupOf(l) === g).reduce((a, l) => a + counts.get(l)!, 0);
    // Add-one smoothing; a level never observed on either side stays neutral (m = u).
    features[f] = Object.fromEntries(
      levels.map((l) => {
        const g = groupOf(l);
        const size = levels.filter((x) => groupOf(x) === g).length;
        const mc = mCount.get(l)!;
        const uc = uCount.get(l)!;
        const u = round6((uc + 1) / (sum(uCount, g) + size));
        return [l, { m: mc + uc === 0 ? u : round6((mc + 1) / (sum(mCount, g) + size)), u }];
      }),
    );
  }
  return { ...prior, features };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export function outcomeOf(scored: ScoredGraph, thresholds: Thresholds, keep = 3): RunOutcome {
  const zones = zonesFor(scored, thresholds);
  const suggestions = suggestionsFor(scored, zones, thresholds, keep).map((list) => list.map((p) => p.right));
  const autoRight = zones.map((z, li) => (z === 'auto' ? scored.picks[li]?.candidate.right : undefined));
  return { zones, autoRight, suggestions };
}

export interface Calibrated {
  weights: MatchWeights;
  figures: BenchmarkFigures;
}

/**
 * The clear-winner rule (see CALIBRATION_POLICY): a fixed offset below the main threshold, not
 * fitted per calibration set (a per-set fit swings with a single record on a few hundred
 * unmatched ones). Kept when the calibration set still meets the limits with it.
 */
function withClearWinner(scored: ScoredGraph, truth: Truth, hard: (li: number) => boolean, main: Thresholds, policy: CalibrationPolicy): Thresholds {
  const t = { ...main, clearAuto: main.auto - policy.CLEAR_RELAX, clearMargin: policy.CLEAR_MIN_MARGIN };
  const f = scoreOutcome(outcomeOf(scored, t), truth, hard, scored.graph.left.length);
  const ok = f.autoPrecision >= policy.CLEAR_PRECISION_GUARD && f.falseAutoOnUnmatched <= policy.CLEAR_FALSE_AUTO_GUARD;
  return ok ? t : main;
}

/** Chooses thresholds on a labelled run by the policy above. */
function calibrateThresholds(scored: ScoredGraph, truth: Truth, hard: (li: number) => boolean, policy: CalibrationPolicy): Thresholds {
  const n = scored.graph.left.length;
  const pickScores = [...new Set(scored.picks.filter(Boolean).map((p) => Math.round(p!.candidate.score * 10) / 10))].sort((a, b) => a - b);
  let best: { t: Thresholds; recall: number } | undefined;
  for (const margin of [0, 1, 2, 3, 4, 5, 6, 8]) {
    for (const auto of pickScores.filter((x) => x >= policy.AUTO_FLOOR)) {
      const t = { auto, margin, review: Infinity };
      const f = scoreOutcome(outcomeOf(scored, t), truth, hard, n);
      if (f.autoPrecision < policy.PRECISION_FLOOR || f.falseAutoOnUnmatched > policy.FALSE_AUTO_CEILING) continue;
      if (!best || f.autoRecall > best.recall) best = { t, recall: f.autoRecall };
      break; // higher auto thresholds only lose recall at this margin
    }
  }
  const main = best?.t ?? { auto: Math.max(...pickScores, 0), margin: 8, review: Infinity };
  const chosen = withClearWinner(scored, truth, hard, main, policy);
  // Review threshold: walk down from the auto threshold while the queue fits the budget.
  const bestScores = [...new Set(scored.ranked.map((c) => Math.floor((c[0]?.score ?? -Infinity) * 4) / 4))].filter(Number.isFinite).sort((a, b) => b - a);
  let review = chosen.auto;
  for (const s of bestScores) {
    if (s >= chosen.auto) continue;
    if (s < policy.REVIEW_FLOOR) break;
    const f = scoreOutcome(outcomeOf(scored, { ...chosen, review: s }), truth, hard, n);
    if (f.reviewShare > policy.REVIEW_SHARE_CAP) break;
    review = s;
  }
  const clear = chosen.clearAuto !== undefined ? { clearAuto: chosen.clearAuto, clearMargin: chosen.clearMargin } : {};
  return { auto: chosen.auto, margin: chosen.margin, review: Math.round(review * 100) / 100, ...clear };
}

/** Full calibration on labelled lists: m/u first, then thresholds on the re-scored graph. */
export function calibrate(graph: CandidateGraph, truth: Truth, hard: (li: number) => boolean, prior: MatchWeights, policy: CalibrationPolicy = CALIBRATION_POLICY): Calibrated {
  const estimated = estimateWeights(graph, truth, prior, policy.MIN_OBSERVED);
  const scored = scoreGraph(graph, estimated);
  const thresholds = calibrateThresholds(scored, truth, hard, policy);
  const weights = { ...estimated, thresholds };
  // Scores depend on the m/u table only, not on thresholds: the graph scored above is the final one.
  const figures = scoreOutcome(outcomeOf(scored, thresholds), truth, hard, graph.left.length);
  return { weights, figures };
}
