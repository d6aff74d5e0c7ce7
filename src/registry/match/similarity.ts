import { jaroWinkler } from '@skyra/jaro-winkler';
import type { NormalisedName } from './normalise.js';

/** Document frequencies of distinctive name tokens over both lists: the term-frequency table. */
export interface TokenStats {
  df: Map<string, number>;
  records: number;
  idf: Map<string, number>;
}

export function buildTokenStats(names: NormalisedName[][]): TokenStats {
  const df = new Map<string, number>();
  let records = 0;
  for (const group of names) {
    records++;
    const seen = new Set(group.flatMap((n) => n.core));
    for (const t of seen) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const idfs = new Map<string, number>();
  for (const [t, n] of df) idfs.set(t, Math.log((records + 1) / (n + 1)) + 1);
  return { df, records, idf: idfs };
}

/** Inverse document frequency: a shared rare word says more than a shared common one. */
export function idf(stats: TokenStats, token: string): number {
  return stats.idf.get(token) ?? Math.log(stats.records + 1) + 1;
}

/** Two tokens count as the same word at or above this Jaro–Winkler similarity. */
export const TOKEN_MATCH = 0.88;

export interface NameComparison {
  /** 0..1, term-frequency weighted; 1 = same distinctive name. */
  similarity: number;
  /** Full names (type words included) identical. */
  fullExact: boolean;
  /** Distinctive parts identical. */
  coreExact: boolean;
  /** Document frequency of the rarest distinctive word the two names share (undefined: none). */
  rarestSharedDf?: number;
}

const jwCache = new Map<string, Map<string, number>>();
let jwCached = 0;

/** Jaro–Winkler with a memo: the same word pairs recur across thousands of comparisons. */
export function tokenSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const [x, y] = a < b ? [a, b] : [b, a];
  let inner = jwCache.get(x);
  if (!inner) {
    inner = new Map();
    jwCache.set(x, inner);
  }
  let v = inner.get(y);
  if (v === undefined) {
    v = jaroWinkler(x, y);
    if (++jwCached > 2_000_000) {
      jwCache.clear();
      jwCached = 0;
    }
    inner.set(y, v);
  }
  return v;
}

/** Drops words that only name the record's own area ("Lake" in "Lake Health Centre II") when the other name lacks them. */
function withoutOwnAreaWords(tokens: string[], areaTokens: Set<string>, other: string[]): string[] {
  const kept = tokens.filter((t) => !areaTokens.has(t) || other.some((o) => tokenSimilarity(t, o) >= TOKEN_MATCH));
  return kept;
}

interface Side {
  tokens: string[];
  weights: number[];
}

/** Weighted soft token overlap (Dice) where tokens match by Jaro–Winkler ≥ TOKEN_MATCH. */
function softDice(a: Side, b: Side, stats: TokenStats): { dice: number; rarestSharedDf?: number } {
  let matchedA = 0;
  let matchedB = 0;
  let rarest: number | undefined;
  const usedB = new Set<number>();
  a.tokens.forEach((t, i) => {
    let best = -1;
    let bestSim = 0;
    b.tokens.forEach((u, j) => {
      if (usedB.has(j)) return;
      const s = tokenSimilarity(t, u);
      if (s > bestSim) {
        bestSim = s;
        best = j;
      }
    });
    if (best >= 0 && bestSim >= TOKEN_MATCH) {
      usedB.add(best);
      matchedA += a.weights[i] * bestSim;
      matchedB += b.weights[best] * bestSim;
      const df = Math.max(stats.df.get(t) ?? 1, stats.df.get(b.tokens[best]) ?? 1);
      if (rarest === undefined || df < rarest) rarest = df;
    }
  });
  const total = a.weights.reduce((x, y) => x + y, 0) + b.weights.reduce((x, y) => x + y, 0);
  return { dice: total > 0 ? (matchedA + matchedB) / total : 0, rarestSharedDf: rarest };
}

function side(tokens: string[], stats: TokenStats): Side {
  return { tokens, weights: tokens.map((t) => idf(stats, t)) };
}

/**
 * Compares the distinctive parts of two names: term-frequency weighted token overlap (so
 * "Kaumu" matters more than "Saint"), blended with Jaro–Winkler on the whole distinctive string
 * (typos, joined/split words). Type words are compared elsewhere, as facility type.
 */
export function compareNames(
  a: NormalisedName,
  b: NormalisedName,
  stats: TokenStats,
  aAreaTokens: Set<string> = new Set(),
  bAreaTokens: Set<string> = new Set(),
): NameComparison {
  const fullExact = a.full.length > 0 && a.full === b.full;
  let coreA = withoutOwnAreaWords(a.core, aAreaTokens, b.core);
  let coreB = withoutOwnAreaWords(b.core, bAreaTokens, a.core);
  if (coreA.length === 0 || coreB.length === 0) {
    // A name made only of type words (and area words) is compared as a whole.
    coreA = withoutOwnAreaWords(a.tokens, aAreaTokens, b.tokens);
    coreB = withoutOwnAreaWords(b.tokens, bAreaTokens, a.tokens);
  }
  const strA = coreA.join(' ');
  const strB = coreB.join(' ');
  if (!strA || !strB) return { similarity: 0, fullExact, coreExact: false };
  const coreExact = strA === strB || strA.replace(/ /g, '') === strB.replace(/ /g, '');
  const { dice, rarestSharedDf } = softDice(side(coreA, stats), side(coreB, stats), stats);
  const jw = tokenSimilarity(strA, strB);
  const similarity = coreExact ? 1 : Math.max(dice, (dice + jw) / 2);
  return { similarity, fullExact, coreExact, rarestSharedDf: coreExact ? minDf(coreA, stats) : rarestSharedDf };
}

function minDf(tokens: string[], stats: TokenStats): number {
  return Math.min(...tokens.map((t) => stats.df.get(t) ?? 1));
}
