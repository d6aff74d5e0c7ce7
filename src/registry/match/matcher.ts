import type { Facility } from '../../domain/facility.js';
import type { MatchZone, ScoreReason, Suggestion } from '../crosswalk-types.js';
import { assignOneToOne, type ScoredPair } from './assign.js';
import { isClearWinner } from './clear-winner.js';
import { buildBlockingIndex, candidatesFor, keysOf, KEY_BITS, type BlockingKey } from './blocking.js';
import { comparePair, FEATURES, type FeatureLevels, type PairComparison } from './features.js';
import { prepareLists, type MatchRecord, type PreparedList, type PreparedRecord } from './prepare.js';
import { autoVeto } from './auto-veto.js';
import { closedForLiveRecord, withClosedReason } from './closed-in-registry.js';
import { listAsOfMs } from './registered-after.js';
import { buildTokenStats, type TokenStats } from './similarity.js';
import { defaultVocabulary, type Vocabulary } from './vocabulary.js';
import { defaultWeights, levelWeight, scoreComparison, type MatchWeights, type Thresholds } from './weights.js';

export type DeterministicRule = 'identifier' | 'exact-name-in-area';

export interface MatchDecision {
  leftIndex: number;
  leftId: string;
  zone: MatchZone;
  /** The one-to-one pick (auto zone always has one; review may). */
  match?: { rightIndex: number; rightId: string; score: number; reasons: ScoreReason[] };
  /** How far the pick beats its best competitor (for either record); Infinity when unopposed. */
  margin?: number;
  deterministic?: DeterministicRule;
  /** Ranked alternatives (best first), with the reasons for each score. */
  suggestions: Suggestion[];
}

export interface MatchRunStats {
  left: number;
  right: number;
  pairsCompared: number;
  candidatesByKey: Record<BlockingKey, number>;
  zones: Record<MatchZone, number>;
  deterministic: number;
}

export interface MatchResult {
  decisions: MatchDecision[];
  stats: MatchRunStats;
  thresholds: Thresholds;
  topLevel?: string;
}

export interface MatchOptions {
  weights?: MatchWeights;
  vocabulary?: Vocabulary;
  /** Suggestions kept per record for the review queue. */
  suggestions?: number;
  /**
   * When the left list was taken (ISO date or instant), where it is a dated copy: a registry record
   * registered after it is never an automatic match (registered-after.ts). Absent: a live list.
   */
  leftAsOf?: string;
  /** Called every `progressEvery` left records (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/** Pre-computed log2(m/u) for each feature level: scoring thousands of pairs is then a few adds. */
type WeightTable = { [F in keyof FeatureLevels]: Record<string, number> };

function weightTable(weights: MatchWeights): WeightTable {
  const t = {} as WeightTable;
  for (const f of FEATURES) {
    t[f] = {};
    for (const level of Object.keys(weights.features[f] ?? {})) t[f][level] = levelWeight(weights, f, level);
  }
  return t;
}

function fastScore(table: WeightTable, levels: FeatureLevels): number {
  let s = 0;
  for (const f of FEATURES) s += table[f][levels[f]] ?? 0;
  return s;
}

/** Identifier agreement within one system, confirmed by a plausible name and distance (codes get reused). */
function identifierConfirmed(c: PairComparison): boolean {
  return (
    c.levels.identifier === 'same' && c.name.similarity >= 0.5 && (c.distanceKm === undefined || c.distanceKm < 10)
  );
}

function uniqueExactNames(records: PreparedRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  const key = (r: PreparedRecord) => `${r.top ?? ''}|${r.name.full}`;
  for (const r of records) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  const unique = new Map<string, number>();
  for (const r of records) if (counts.get(key(r)) === 1 && r.top && r.name.full) unique.set(key(r), r.index);
  return unique;
}

function identifierIndex(records: PreparedRecord[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (const r of records) {
    for (const [system, values] of r.identifiers) {
      for (const v of values) {
        const k = `${system}|${v}`;
        const list = index.get(k);
        if (list) list.push(r.index);
        else index.set(k, [r.index]);
      }
    }
  }
  return index;
}

function identifierHits(l: PreparedRecord, index: Map<string, number[]>): number[] {
  const hits: number[] = [];
  for (const [system, values] of l.identifiers)
    for (const v of values) hits.push(...(index.get(`${system}|${v}`) ?? []));
  return hits;
}

export interface CandidatePair {
  right: number;
  comparison: PairComparison;
  deterministic?: DeterministicRule;
}

/** Stage 1: every blocked candidate pair of the two lists with its comparison vector. */
export interface CandidateGraph {
  left: PreparedRecord[];
  right: PreparedRecord[];
  perLeft: CandidatePair[][];
  topLevel?: string;
  pairsCompared: number;
  candidatesByKey: Record<BlockingKey, number>;
  /** MatchOptions.leftAsOf in epoch ms. */
  leftAsOfMs?: number;
}

/** Blocking alone: the lists prepared, and a way to find each left record's candidates without comparing them. */
interface BlockingPass {
  left: PreparedList;
  right: PreparedList;
  topLevel?: string;
  stats: TokenStats;
  /** Right index → blocking key bits (KEY_BITS), and the unique same-area exact-name partner if any. */
  candidates(l: PreparedRecord): { found: Map<number, number>; exactRight?: number };
}

function blockingPass(
  leftInput: (Facility | MatchRecord)[],
  rightInput: (Facility | MatchRecord)[],
  vocabulary: Vocabulary = defaultVocabulary(),
): BlockingPass {
  const { left, right, topLevel } = prepareLists(leftInput, rightInput, vocabulary);
  const stats: TokenStats = buildTokenStats([
    ...left.records.map((r) => [r.name, ...r.aliases]),
    ...right.records.map((r) => [r.name, ...r.aliases]),
  ]);
  const index = buildBlockingIndex(right, stats);
  const idIndex = identifierIndex(right.records);
  const rightExact = uniqueExactNames(right.records);
  const leftExact = uniqueExactNames(left.records);
  const candidates = (l: PreparedRecord) => {
    const found = candidatesFor(l, index, stats);
    // Identifier agreement in the same system is looked up directly, not left to blocking.
    for (const ri of identifierHits(l, idIndex)) if (!found.has(ri)) found.set(ri, 0);
    const exactKey = `${l.top ?? ''}|${l.name.full}`;
    const exactRight = leftExact.get(exactKey) === l.index ? rightExact.get(exactKey) : undefined;
    if (exactRight !== undefined && !found.has(exactRight)) found.set(exactRight, KEY_BITS.area);
    return { found, exactRight };
  };
  return { left, right, topLevel, stats, candidates };
}

/**
 * Right indices that any left record is blocked with: the candidate graph's pairs without
 * comparing them (an incremental run only needs to know which records a change can reach).
 */
export function blockedRightIndices(
  leftInput: (Facility | MatchRecord)[],
  rightInput: (Facility | MatchRecord)[],
  options: Pick<MatchOptions, 'vocabulary'> = {},
): Set<number> {
  const pass = blockingPass(leftInput, rightInput, options.vocabulary);
  const out = new Set<number>();
  for (const l of pass.left.records) for (const ri of pass.candidates(l).found.keys()) out.add(ri);
  return out;
}

export function buildCandidateGraph(
  leftInput: (Facility | MatchRecord)[],
  rightInput: (Facility | MatchRecord)[],
  options: Pick<MatchOptions, 'vocabulary' | 'onProgress' | 'leftAsOf'> = {},
): CandidateGraph {
  const { left, right, topLevel, stats, candidates } = blockingPass(leftInput, rightInput, options.vocabulary);
  const candidatesByKey: Record<BlockingKey, number> = { area: 0, spatial: 0, token: 0, phonetic: 0 };
  let pairsCompared = 0;
  const perLeft = left.records.map((l, n) => {
    if (options.onProgress && n % 250 === 0) options.onProgress(n, left.records.length);
    const { found, exactRight } = candidates(l);
    const pairs: CandidatePair[] = [];
    for (const [ri, keys] of found) {
      for (const k of keysOf(keys)) candidatesByKey[k]++;
      const comparison = comparePair(l, right.records[ri], stats);
      pairsCompared++;
      let deterministic: DeterministicRule | undefined;
      if (identifierConfirmed(comparison)) deterministic = 'identifier';
      else if (ri === exactRight) deterministic = 'exact-name-in-area';
      pairs.push({ right: ri, comparison, deterministic });
    }
    return pairs;
  });
  options.onProgress?.(left.records.length, left.records.length);
  const leftAsOfMs = listAsOfMs(options.leftAsOf);
  return {
    left: left.records,
    right: right.records,
    perLeft,
    topLevel,
    pairsCompared,
    candidatesByKey,
    ...(leftAsOfMs !== undefined ? { leftAsOfMs } : {}),
  };
}

export interface ScoredCandidate extends CandidatePair {
  score: number;
}

/** Stage 2: scores under one weights table, the one-to-one pick of each left record and its margin. */
export interface ScoredGraph {
  graph: CandidateGraph;
  weights: MatchWeights;
  ranked: ScoredCandidate[][];
  picks: ({ candidate: ScoredCandidate; margin: number } | undefined)[];
}

export function scoreGraph(graph: CandidateGraph, weights: MatchWeights): ScoredGraph {
  const table = weightTable(weights);
  const ranked = graph.perLeft.map((pairs) =>
    pairs
      .map((p): ScoredCandidate => ({
        right: p.right,
        comparison: p.comparison,
        deterministic: p.deterministic,
        score: fastScore(table, p.comparison.levels),
      }))
      .sort((a, b) => b.score - a.score || a.right - b.right),
  );
  const all: ScoredPair[] = [];
  const forced: ScoredPair[] = [];
  // The two best (left, score) per right record: the competition any pick of that record must beat.
  const topForRight = new Map<number, { left: number; score: number }[]>();
  ranked.forEach((c, li) => {
    for (const p of c) {
      all.push({ left: li, right: p.right, score: p.score });
      // a closed registration never links a live record by itself (closed-in-registry.ts): it is
      // assigned by score, so an open successor scoring above it is the pick, not pushed aside
      if (p.deterministic && !closedForLiveRecord(p.comparison))
        forced.push({ left: li, right: p.right, score: p.score });
      const top = topForRight.get(p.right);
      const entry = { left: li, score: p.score };
      if (!top) topForRight.set(p.right, [entry]);
      else if (top.length < 2) top.splice(top[0].score >= p.score ? 1 : 0, 0, entry);
      else if (p.score > top[1].score) {
        top.splice(top[0].score >= p.score ? 1 : 0, 0, entry);
        top.pop();
      }
    }
  });
  forced.sort((a, b) => b.score - a.score);
  const assigned = assignOneToOne(all, forced);
  const picks = ranked.map((cands, li) => {
    const pick = assigned.get(li);
    if (!pick) return undefined;
    const candidate = cands.find((p) => p.right === pick.right)!;
    const otherForLeft = cands.find((p) => p.right !== pick.right)?.score ?? -Infinity;
    const otherForRight = topForRight.get(pick.right)?.find((x) => x.left !== li)?.score ?? -Infinity;
    return { candidate, margin: pick.score - Math.max(otherForLeft, otherForRight) };
  });
  return { graph, weights, ranked, picks };
}

/**
 * Whether a deterministic pick stands without its score. An identifier agreement in the same
 * system always does. A unique exact name in the area does unless another candidate (for either
 * record) scores as high or higher: then the name alone chose between equals ("Highway Medical
 * Clinic" and a namesake with a sub-county suffix), which is a question for a person, not an
 * automatic update of a real facility. Such a pick falls back to the scored rules (and so,
 * with no margin, to review).
 */
function deterministicStands(pick: { candidate: ScoredCandidate; margin: number }): boolean {
  if (pick.candidate.deterministic === 'identifier') return true;
  return pick.candidate.deterministic === 'exact-name-in-area' && pick.margin > 0;
}

/** Zone of each left record under thresholds, without building reasons (cheap: used by calibration). */
export function zonesFor(scored: ScoredGraph, thresholds: Thresholds): MatchZone[] {
  return scored.ranked.map((cands, li) => {
    const found = scored.picks[li];
    // a vetoed pick is judged as if there were none: review when it (or another) scores high enough
    const pick = found && !autoVeto(scored.graph, found.candidate) ? found : undefined;
    if (pick && deterministicStands(pick)) return 'auto';
    if (pick && pick.candidate.score >= thresholds.auto && pick.margin >= thresholds.margin) return 'auto';
    if (pick && isClearWinner(pick.candidate.score, pick.margin, pick.candidate.comparison.levels, thresholds))
      return 'auto';
    if ((cands[0]?.score ?? -Infinity) >= thresholds.review) return 'review';
    return 'no-match';
  });
}

/** Ranked suggestion indices per left record: above the review threshold, not auto-claimed by another record. */
export function suggestionsFor(
  scored: ScoredGraph,
  zones: MatchZone[],
  thresholds: Thresholds,
  keep: number,
): ScoredCandidate[][] {
  const autoRight = new Map<number, number>();
  zones.forEach((z, li) => z === 'auto' && scored.picks[li] && autoRight.set(scored.picks[li]!.candidate.right, li));
  return scored.ranked.map((cands, li) =>
    zones[li] === 'auto'
      ? []
      : cands.filter((p) => p.score >= thresholds.review && (autoRight.get(p.right) ?? li) === li).slice(0, keep),
  );
}

/** The pick's reasons, plus why it is never automatic when something vetoes it (auto-veto.ts). */
function withVetoReason(
  scored: ScoredGraph,
  pick: { candidate: ScoredCandidate },
  scoredPair: { score: number; reasons: ScoreReason[] },
): { score: number; reasons: ScoreReason[] } {
  const veto = autoVeto(scored.graph, pick.candidate);
  return veto ? { ...scoredPair, reasons: [...scoredPair.reasons, veto] } : scoredPair;
}

/** Stage 3: decisions with reasons and suggestions. */
export function decide(scored: ScoredGraph, thresholds: Thresholds = scored.weights.thresholds, keep = 5): MatchResult {
  const { graph, weights } = scored;
  const zones = zonesFor(scored, thresholds);
  const suggestions = suggestionsFor(scored, zones, thresholds, keep);
  const counts: Record<MatchZone, number> = { auto: 0, review: 0, 'no-match': 0 };
  let deterministic = 0;
  const decisions = graph.left.map((l, li): MatchDecision => {
    const zone = zones[li];
    counts[zone]++;
    const pick = scored.picks[li];
    if (zone === 'auto' && pick?.candidate.deterministic) deterministic++;
    const match =
      pick && zone !== 'no-match'
        ? {
            rightIndex: pick.candidate.right,
            rightId: graph.right[pick.candidate.right].id,
            ...withVetoReason(scored, pick, scoreComparison(weights, pick.candidate.comparison)),
          }
        : undefined;
    return {
      leftIndex: li,
      leftId: l.id,
      zone,
      match,
      margin: pick?.margin,
      deterministic: zone === 'auto' ? pick?.candidate.deterministic : undefined,
      suggestions: suggestions[li].map((p) => ({
        registryId: graph.right[p.right].id,
        ...withClosedReason(p.comparison, scoreComparison(weights, p.comparison)),
      })),
    };
  });
  return {
    decisions,
    thresholds,
    topLevel: graph.topLevel,
    stats: {
      left: graph.left.length,
      right: graph.right.length,
      pairsCompared: graph.pairsCompared,
      candidatesByKey: graph.candidatesByKey,
      zones: counts,
      deterministic,
    },
  };
}

/**
 * Matches a list of facilities (left: a system's list) against another (right: the registry):
 * deterministic pass, multi-key blocking, Fellegi–Sunter scoring, one-to-one assignment and
 * three zones. Pure: the same inputs and weights always give the same decisions.
 */
export function matchFacilities(
  leftInput: (Facility | MatchRecord)[],
  rightInput: (Facility | MatchRecord)[],
  options: MatchOptions = {},
): MatchResult {
  const weights = options.weights ?? defaultWeights();
  const graph = buildCandidateGraph(leftInput, rightInput, options);
  return decide(scoreGraph(graph, weights), weights.thresholds, options.suggestions ?? 5);
}
