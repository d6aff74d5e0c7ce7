import { activeMapping, type MappingFile, type MappingProblem } from '../../config/mappings.js';
import type { ScoreReason } from '../crosswalk-types.js';
import { describeComparison, FEATURE_LEVELS, FEATURES, type FeatureName, type PairComparison } from './features.js';

export interface LevelProbabilities {
  m: number;
  u: number;
}

/**
 * The three zones, in log2 likelihood-ratio units. Shipped values (fhir-mappings/
 * facility-match-weights.json): auto ≥ 6 (64:1) with a margin ≥ 1 (the one-to-one pick at least
 * twice as likely as its runner-up), or ≥ 4 when the pick beats every competitor by ≥ 4 bits and
 * its name (beyond a shared word), type and top-level area do not contradict it
 * (clear-winner.ts); review ≥ −3, no-match below. A unique exact name in the county is auto
 * without a score unless another candidate scores as high (matcher.ts). Calibrated on the Kenya training split by the policy in calibrate.ts (auto precision
 * ≥ 0.992, false automatch on unmatched ≤ 0.025, auto searched within 6..7 bits; clear-winner
 * offset and review floor fixed by repeated county splits; review queue ≤ 12 %); the bench
 * prints them with every run.
 */
export interface Thresholds {
  /** Auto-match at or above this log2 likelihood ratio… */
  auto: number;
  /** …and only when it beats every competing candidate (for either record) by this much. */
  margin: number;
  /** Below this a record is a no-match; between review and auto it goes to a human. */
  review: number;
  /**
   * Second auto rule, "clear winner": a lower score is enough when the pick beats every
   * competitor by a wide margin (a renamed facility whose type words changed: its best score is
   * modest, but nothing else comes close). Both absent: rule off.
   */
  clearAuto?: number;
  clearMargin?: number;
}

export interface MatchWeights {
  description?: string;
  calibration?: Record<string, unknown>;
  features: Record<FeatureName, Record<string, LevelProbabilities>>;
  thresholds: Thresholds;
}

/** Levels that carry no evidence whatever the table says: missing data is not disagreement. */
const NEUTRAL_LEVELS = new Set(['missing']);

export function levelWeight(weights: MatchWeights, feature: FeatureName, level: string): number {
  if (NEUTRAL_LEVELS.has(level)) return 0;
  const p = weights.features[feature]?.[level];
  if (!p) return 0;
  return Math.log2(p.m / p.u);
}

/** Fellegi–Sunter total: the sum of per-feature log2(m/u), with one reason per feature that moved it. */
export function scoreComparison(weights: MatchWeights, c: PairComparison): { score: number; reasons: ScoreReason[] } {
  let score = 0;
  const reasons: ScoreReason[] = [];
  const details = describeComparison(c);
  for (const f of FEATURES) {
    const level = c.levels[f];
    const w = levelWeight(weights, f, level);
    score += w;
    if (w !== 0)
      reasons.push({
        field: f,
        weight: Math.round(w * 100) / 100,
        detail: `${level}${details[f] ? `: ${details[f]}` : ''}`,
      });
  }
  return { score, reasons };
}

/** Checks a weights table covers every level of every feature (probabilities in (0,1] are the schema's). */
function weightsProblems(weights: MatchWeights): MappingProblem[] {
  const problems: MappingProblem[] = [];
  for (const f of FEATURES) {
    for (const level of FEATURE_LEVELS[f]) {
      if (NEUTRAL_LEVELS.has(level)) continue;
      if (!weights.features[f]?.[level]) problems.push({ path: `/features/${f}/${level}`, reason: 'is missing' });
    }
  }
  return problems;
}

export const WEIGHTS_FILE: MappingFile<MatchWeights> = {
  file: 'facility-match-weights.json',
  schema: 'facility-match-weights.schema.json',
  check: weightsProblems,
};

/** The shipped weights and thresholds (facility-match-weights.json in mappings.dir), validated. */
export function defaultWeights(): MatchWeights {
  return activeMapping(WEIGHTS_FILE);
}
