import { charsOf, jaroWinklerSimilarity, jaroWinklerUpperBound } from './similarity.js';
import type { TypeClass, Vocabulary } from './vocabulary.js';

/** A facility name taken apart for comparison. */
export interface NormalisedName {
  /** All tokens of the name outside parentheses, abbreviations expanded. */
  tokens: string[];
  /** `tokens` joined by one space: the name compared for exact agreement. */
  full: string;
  /** Distinctive tokens: not generic type words, not the level marker. */
  core: string[];
  /** `core` joined by one space. */
  coreText: string;
  /** `coreText` split into characters once, for Jaro–Winkler against many other names. */
  coreChars: readonly string[];
  /** Generic type words found in the name ("dispensary", "health", "centre" …). */
  typeTokens: string[];
  /** Service level written in the name ("ii", "iii", "4" …): HC II ≠ HC IV, so it is kept. */
  level?: string;
  /** Words inside parentheses: usually a locality qualifier, which drifts between lists. */
  qualifier: string[];
  /** `qualifier` joined by one space (compared on every candidate pair, so joined once). */
  qualifierText: string;
  /** Facility type class implied by the name's type words. */
  typeClass?: TypeClass;
}

const ROMAN_LEVELS: Record<string, string> = {
  i: '1',
  ii: '2',
  iii: '3',
  iv: '4',
  v: '5',
  vi: '6',
  vii: '7',
  viii: '8',
  ix: '9',
  x: '10',
};

/**
 * Repairs UTF-8 text that was decoded as Latin-1 ("SaÃºde" → "Saúde") when the repair is
 * lossless, and drops replacement characters left by earlier broken conversions. Text that
 * cannot be recovered is returned as it is and still compared fuzzily.
 */
export function repairMojibake(text: string): string {
  let out = text;
  if (/[ÃÂ][\u0080-\u00bf]/.test(out)) {
    const bytes = Buffer.from(out, 'latin1');
    const decoded = bytes.toString('utf8');
    if (!decoded.includes('\ufffd') && decoded.length < out.length) {
      out = decoded;
    }
  }
  return out.replace(/\ufffd/g, '');
}

/** Lower case, accents removed, '&' → and, apostrophes joined, other punctuation → space. */
export function foldText(text: string): string {
  // Plain ASCII (most names): nothing to repair or decompose.
  const source = /^[\x20-\x7e]*$/.test(text)
    ? text
    : repairMojibake(text)
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '');
  return source
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’`´]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

export function tokenise(text: string): string[] {
  const folded = foldText(text);
  return folded ? folded.split(' ') : [];
}

/**
 * Entries of a vocabulary table grouped by their first word, in table order, built once per
 * vocabulary: a lookup then only tries the entries that can start at a given word.
 */
function byFirstWord<T>(
  cache: WeakMap<Vocabulary, Map<string, T[]>>,
  vocabulary: Vocabulary,
  entries: T[],
  first: (entry: T) => string,
): Map<string, T[]> {
  let index = cache.get(vocabulary);
  if (!index) {
    index = new Map();
    for (const entry of entries) {
      const word = first(entry);
      const list = index.get(word);
      if (list) list.push(entry);
      else index.set(word, [entry]);
    }
    cache.set(vocabulary, index);
  }
  return index;
}

/** Whole-word (whole token sequence) abbreviation expansion; never inside a word. */
const abbreviationIndex = new WeakMap<Vocabulary, Map<string, Vocabulary['abbreviations']>>();

/** Abbreviations by their first word, in table order (the first that fits wins, as before). */
function abbreviationsByFirst(vocabulary: Vocabulary): Map<string, Vocabulary['abbreviations']> {
  return byFirstWord(abbreviationIndex, vocabulary, vocabulary.abbreviations, (a) => a.from[0]);
}

export function expandAbbreviations(tokens: string[], vocabulary: Vocabulary): string[] {
  const byFirst = abbreviationsByFirst(vocabulary);
  const out: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const hit = byFirst.get(tokens[i])?.find((a) => a.from.every((t, k) => tokens[i + k] === t));
    if (hit) {
      out.push(...hit.to);
      i += hit.from.length;
    } else {
      out.push(tokens[i]);
      i += 1;
    }
  }
  return out;
}

const typoCache = new Map<string, string>();

/**
 * Misspelt type words ("Dispenary", "Helth") are read as the type word they misspell: only long
 * words (≥ 5 letters) very close to a long type word, so distinctive names are left alone.
 */
function correctTypeWordTypos(tokens: string[], vocabulary: Vocabulary): string[] {
  return tokens.map((t) => {
    if (t.length < 5 || vocabulary.typeWords.has(t) || /\d/.test(t)) return t;
    let fixed = typoCache.get(t);
    if (fixed === undefined) {
      fixed = t;
      let best = 0.94;
      for (const w of vocabulary.typeWords) {
        if (w.length < 5 || Math.abs(w.length - t.length) > 2) continue;
        // Most words are village names nowhere near a type word: a letter count rules them out.
        if (jaroWinklerUpperBound(t, w) < best) continue;
        const sim = jaroWinklerSimilarity(t, w);
        if (sim >= best) {
          best = sim;
          fixed = w;
        }
      }
      typoCache.set(t, fixed);
    }
    return fixed;
  });
}

/** Splits "Name (qualifier)" into the name and the qualifier; an unclosed "(" runs to the end. */
function splitQualifier(raw: string): { main: string; qualifier: string } {
  const parts: string[] = [];
  const main = raw.replace(/\(([^)]*)\)?/g, (_m, inner: string) => {
    parts.push(inner);
    return ' ';
  });
  return { main, qualifier: parts.join(' ') };
}

/** Finds the service level: a roman numeral or number after a type word or after "level". */
function findLevel(tokens: string[], vocabulary: Vocabulary): { level?: string; index: number } {
  for (let i = 1; i < tokens.length; i++) {
    const prev = tokens[i - 1];
    const t = tokens[i];
    const afterType = vocabulary.typeWords.has(prev);
    if (afterType && ROMAN_LEVELS[t] && (t !== 'i' || prev === 'level')) return { level: ROMAN_LEVELS[t], index: i };
    if (prev === 'level' && /^\d{1,2}$/.test(t)) return { level: String(Number(t)), index: i };
  }
  return { index: -1 };
}

const phraseIndex = new WeakMap<Vocabulary, Map<string, Vocabulary['typePhrases']>>();

/** Type phrases by their first word, longest first (so only phrases that can start at a word are tried). */
function phrasesByFirst(vocabulary: Vocabulary): Map<string, Vocabulary['typePhrases']> {
  return byFirstWord(phraseIndex, vocabulary, vocabulary.typePhrases, (p) => p.tokens[0]);
}

export function findTypeClass(tokens: string[], vocabulary: Vocabulary): TypeClass | undefined {
  const byFirst = phrasesByFirst(vocabulary);
  let best: TypeClass | undefined;
  let bestLength = 0;
  for (let i = 0; i < tokens.length; i++) {
    for (const phrase of byFirst.get(tokens[i]) ?? []) {
      const n = phrase.tokens.length;
      if (i + n > tokens.length) continue;
      let k = 1;
      while (k < n && tokens[i + k] === phrase.tokens[k]) k++;
      if (k < n) continue;
      // Longest phrase wins; among equals the later one (the type word usually ends a name),
      // and at one place the first in table order (the longest-first list keeps it).
      if (n >= bestLength) {
        best = phrase.typeClass;
        bestLength = n;
      }
      break;
    }
  }
  return best;
}

export function normaliseName(raw: string, vocabulary: Vocabulary): NormalisedName {
  const { main, qualifier } = splitQualifier(raw);
  const tokens = correctTypeWordTypos(expandAbbreviations(tokenise(main), vocabulary), vocabulary);
  const { level, index } = findLevel(tokens, vocabulary);
  const qualifierTokens = expandAbbreviations(tokenise(qualifier), vocabulary);
  const core: string[] = [];
  const typeTokens: string[] = [];
  tokens.forEach((t, i) => {
    if (i === index) return;
    if (vocabulary.typeWords.has(t)) typeTokens.push(t);
    else core.push(t);
  });
  const coreText = core.join(' ');
  return {
    tokens,
    full: tokens.join(' '),
    core,
    coreText,
    coreChars: charsOf(coreText),
    typeTokens,
    level,
    qualifier: qualifierTokens,
    qualifierText: qualifierTokens.join(' '),
    typeClass: findTypeClass(tokens, vocabulary),
  };
}
