import type { MatchZone } from '../crosswalk-types.js';

/** Ground truth: left index → right index of its true counterpart. */
export type Truth = Map<number, number>;

/** What one matcher run decided, reduced to what the benchmark scores. */
export interface RunOutcome {
  zones: MatchZone[];
  /** Right index auto-matched to each left record (undefined unless zone is auto). */
  autoRight: (number | undefined)[];
  /** Ranked suggested right indices for records in review. */
  suggestions: number[][];
}

export interface BenchmarkFigures {
  autoPrecision: number;
  autoRecall: number;
  hardRecall: number;
  assistedRecall: number;
  falseAutoOnUnmatched: number;
  reviewShare: number;
  autoMatches: number;
  reviewQueue: number;
  truePairs: number;
  hardPairs: number;
  unmatchedLeft: number;
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/**
 * The benchmark figures. `hard` marks true pairs whose lower-case names differ; assisted
 * recall counts a true pair found when it was auto-matched or its counterpart is in the top 3
 * review suggestions.
 */
export function scoreOutcome(
  outcome: RunOutcome,
  truth: Truth,
  hard: (left: number) => boolean,
  leftCount: number,
): BenchmarkFigures {
  let autos = 0;
  let correctAutos = 0;
  let hardPairs = 0;
  let hardFound = 0;
  let assisted = 0;
  let unmatched = 0;
  let falseOnUnmatched = 0;
  let review = 0;
  for (let li = 0; li < leftCount; li++) {
    const zone = outcome.zones[li];
    const auto = outcome.autoRight[li];
    const t = truth.get(li);
    if (zone === 'review') review++;
    if (zone === 'auto') autos++;
    if (t === undefined) {
      unmatched++;
      if (zone === 'auto') falseOnUnmatched++;
      continue;
    }
    const ok = zone === 'auto' && auto === t;
    if (ok) correctAutos++;
    if (hard(li)) {
      hardPairs++;
      if (ok) hardFound++;
    }
    if (ok || (zone === 'review' && outcome.suggestions[li].slice(0, 3).includes(t))) assisted++;
  }
  return {
    autoPrecision: round(autos ? correctAutos / autos : 1),
    autoRecall: round(truth.size ? correctAutos / truth.size : 1),
    hardRecall: round(hardPairs ? hardFound / hardPairs : 1),
    assistedRecall: round(truth.size ? assisted / truth.size : 1),
    falseAutoOnUnmatched: round(unmatched ? falseOnUnmatched / unmatched : 0),
    reviewShare: round(leftCount ? review / leftCount : 0),
    autoMatches: autos,
    reviewQueue: review,
    truePairs: truth.size,
    hardPairs,
    unmatchedLeft: unmatched,
  };
}
