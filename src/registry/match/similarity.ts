import { decodeUtf8, jaroWinkler, type CharArray } from '@skyra/jaro-winkler';
import type { NormalisedName } from './normalise.js';

/** Document frequencies of distinctive name tokens over both lists: the term-frequency table. */
export interface TokenStats {
  df: Map<string, number>;
  records: number;
  idf: Map<string, number>;
  /** How many records carry each whole distinctive name: the term frequency of an exact agreement. */
  coreDf: Map<string, number>;
}

export function buildTokenStats(names: NormalisedName[][]): TokenStats {
  const df = new Map<string, number>();
  const coreDf = new Map<string, number>();
  let records = 0;
  for (const group of names) {
    records++;
    for (const c of new Set(group.map((n) => n.core.join('')))) coreDf.set(c, (coreDf.get(c) ?? 0) + 1);
    const seen = new Set(group.flatMap((n) => n.core));
    for (const t of seen) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const idfs = new Map<string, number>();
  for (const [t, n] of df) idfs.set(t, Math.log((records + 1) / (n + 1)) + 1);
  return { df, records, idf: idfs, coreDf };
}

/** Inverse document frequency: a shared rare word says more than a shared common one. */
function idf(stats: TokenStats, token: string): number {
  return stats.idf.get(token) ?? Math.log(stats.records + 1) + 1;
}

/** Two tokens count as the same word at or above this Jaro–Winkler similarity. */
const TOKEN_MATCH = 0.88;

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

/**
 * Jaro–Winkler from @skyra/jaro-winkler, with its prefix bonus corrected: the library counts a
 * common prefix of four characters as five (0.5 instead of the standard 0.4 boost), which would
 * over-reward names that merely start alike. Standard JW: jaro + min(prefix, 4) · 0.1 · (1 − jaro).
 */
export function jaroWinklerSimilarity(a: string, b: string, aChars?: CharArray, bChars?: CharArray): number {
  if (a === b) return a.length > 0 ? 1 : 0;
  // The library splits strings into characters on every call; callers that compare one name
  // with many pass the split form they keep.
  const v = jaroWinkler(aChars ?? a, bChars ?? b);
  if (
    v > 0 &&
    a.length >= 4 &&
    b.length >= 4 &&
    a.charCodeAt(0) === b.charCodeAt(0) &&
    a.charCodeAt(1) === b.charCodeAt(1) &&
    a.charCodeAt(2) === b.charCodeAt(2) &&
    a.charCodeAt(3) === b.charCodeAt(3)
  ) {
    const jaro = 2 * v - 1;
    return jaro + 0.4 * (1 - jaro);
  }
  return v;
}

const counts = new Int32Array(128);

/**
 * An upper bound of jaroWinklerSimilarity from the letters the two words share, whatever their
 * order: matches ≤ shared letters and transpositions ≥ 0, and the prefix boost is at most 0.4.
 * Lets a search over many words skip the ones that cannot reach a threshold without running
 * Jaro–Winkler on them. ASCII words only (folded tokens); anything else gets the trivial bound 1.
 */
export function jaroWinklerUpperBound(a: string, b: string): number {
  if (a.length === 0 || b.length === 0) return 0;
  let shared = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c > 127) return 1;
    counts[c]++;
  }
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (c < 128 && counts[c] > 0) {
      counts[c]--;
      shared++;
    }
  }
  for (let i = 0; i < a.length; i++) counts[a.charCodeAt(i)] = 0;
  if (shared === 0) return 0;
  const jaro = (shared / a.length + shared / b.length + 1) / 3;
  // Plus a hair: the exact value is computed in another order and may round a ulp higher.
  return jaro + 0.4 * (1 - jaro) + 1e-9;
}

const jwCache = new Map<string, Map<string, number>>();
let jwCached = 0;

/** Jaro–Winkler on single words, memoised: the same word pairs recur across thousands of comparisons. */
export function tokenSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const x = a < b ? a : b;
  const y = a < b ? b : a;
  let inner = jwCache.get(x);
  if (!inner) {
    inner = new Map();
    jwCache.set(x, inner);
  }
  let v = inner.get(y);
  if (v === undefined) {
    v = jaroWinklerSimilarity(x, y);
    if (++jwCached > 1_000_000) {
      jwCache.clear();
      jwCached = 0;
    }
    inner.set(y, v);
  }
  return v;
}

/**
 * Jaro–Winkler of two words where only a match (≥ TOKEN_MATCH) matters, else 0. Pairs that
 * cannot reach TOKEN_MATCH (by the shared-letter bound) are neither computed nor cached: they
 * are most word pairs, and caching them made the memo the largest structure of a run.
 */
function wordMatch(a: string, b: string): number {
  if (a === b) return 1;
  const x = a < b ? a : b;
  const y = a < b ? b : a;
  const v = jwCache.get(x)?.get(y);
  if (v !== undefined) return v;
  if (jaroWinklerUpperBound(x, y) < TOKEN_MATCH) return 0;
  return tokenSimilarity(x, y);
}

/**
 * Drops words that only name the record's own area ("Lake" in "Lake Health Centre II") when the
 * other name lacks them, but never all words: an emptied name would equal any other emptied name.
 */
function withoutOwnAreaWords(tokens: string[], areaTokens: Set<string>, other: string[]): string[] {
  if (areaTokens.size === 0 || !tokens.some((t) => areaTokens.has(t))) return tokens;
  const kept = tokens.filter((t) => !areaTokens.has(t) || other.some((o) => wordMatch(t, o) >= TOKEN_MATCH));
  return kept.length > 0 ? kept : tokens;
}

/** Weighted soft token overlap (Dice) where tokens match by Jaro–Winkler ≥ TOKEN_MATCH. */
function softDice(a: string[], b: string[], stats: TokenStats): { dice: number; rarestSharedDf?: number } {
  let matchedA = 0;
  let matchedB = 0;
  let rarest: number | undefined;
  let usedB = 0; // bit set of matched tokens of b (names have far fewer than 31 words)
  for (let i = 0; i < a.length; i++) {
    let best = -1;
    let bestSim = 0;
    for (let j = 0; j < b.length && j < 31; j++) {
      if (usedB & (1 << j)) continue;
      const sim = wordMatch(a[i], b[j]);
      if (sim > bestSim) {
        bestSim = sim;
        best = j;
      }
    }
    if (best >= 0 && bestSim >= TOKEN_MATCH) {
      usedB |= 1 << best;
      matchedA += idf(stats, a[i]) * bestSim;
      matchedB += idf(stats, b[best]) * bestSim;
      const df = Math.max(stats.df.get(a[i]) ?? 1, stats.df.get(b[best]) ?? 1);
      if (rarest === undefined || df < rarest) rarest = df;
    }
  }
  let total = 0;
  for (const t of a) total += idf(stats, t);
  for (const t of b) total += idf(stats, t);
  return { dice: total > 0 ? (matchedA + matchedB) / total : 0, rarestSharedDf: rarest };
}

const NO_AREA = new Set<string>();

/**
 * Compares the distinctive parts of two names: term-frequency weighted token overlap (so
 * "Kaumu" matters more than "Saint"), blended with Jaro–Winkler on the whole distinctive string
 * (typos, joined/split words). Type words are compared elsewhere, as facility type.
 */
export function compareNames(
  a: NormalisedName,
  b: NormalisedName,
  stats: TokenStats,
  aAreaTokens: Set<string> = NO_AREA,
  bAreaTokens: Set<string> = NO_AREA,
): NameComparison {
  const fullExact = a.full.length > 0 && a.full === b.full;
  let coreA: string[];
  let coreB: string[];
  if (a.core.length > 0 && b.core.length > 0) {
    coreA = withoutOwnAreaWords(a.core, aAreaTokens, b.core);
    coreB = withoutOwnAreaWords(b.core, bAreaTokens, a.core);
  } else {
    // A name made only of type words ("Health Centre III") is compared as a whole.
    coreA = withoutOwnAreaWords(a.tokens, aAreaTokens, b.tokens);
    coreB = withoutOwnAreaWords(b.tokens, bAreaTokens, a.tokens);
  }
  const strA = coreA === a.core ? a.coreText : coreA.join(' ');
  const strB = coreB === b.core ? b.coreText : coreB.join(' ');
  if (!strA || !strB) return { similarity: 0, fullExact, coreExact: false };
  const coreExact = strA === strB || (strA.length !== strB.length && sameIgnoringSpaces(strA, strB));
  if (coreExact)
    return {
      similarity: 1,
      fullExact,
      coreExact,
      rarestSharedDf: stats.coreDf.get(coreA.join('')) ?? minDf(coreA, stats),
    };
  const { dice, rarestSharedDf } = softDice(coreA, coreB, stats);
  const jw = jaroWinklerSimilarity(
    strA,
    strB,
    strA === a.coreText ? a.coreChars : undefined,
    strB === b.coreText ? b.coreChars : undefined,
  );
  return { similarity: Math.max(dice, (dice + jw) / 2), fullExact, coreExact, rarestSharedDf };
}

/** "st mary" vs "stmary": equal once spaces are dropped (without building the spaceless strings). */
function sameIgnoringSpaces(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && a.charCodeAt(i) === 32) i++;
    while (j < b.length && b.charCodeAt(j) === 32) j++;
    if (i === a.length || j === b.length) return i === a.length && j === b.length;
    if (a.charCodeAt(i++) !== b.charCodeAt(j++)) return false;
  }
}

/** A name's distinctive text as the character array the Jaro–Winkler library works on. */
export function charsOf(text: string): CharArray {
  return decodeUtf8(text);
}

function minDf(tokens: string[], stats: TokenStats): number {
  return Math.min(...tokens.map((t) => stats.df.get(t) ?? 1));
}
