/**
 * Where a set of literal strings (the redactor's known forms) occur in a text, in one pass whatever
 * the text: an Aho-Corasick automaton, compiled to a table of next states. Searching with the
 * alternation regex from one character after each match's start retries every form at every
 * position of a run of matches: a megabyte of `0` with the weak secret `0000` cost some 60 times
 * a megabyte of ordinary text holding a secret (bench/redaction-runs.ts). The automaton reads each character once and knows,
 * at each one, the longest form ending there; the union of those spans is the union of every
 * match of every form (a shorter form ending at the same place lies inside the longest one).
 *
 * The table holds a row per trie node and a column per distinct character of the forms, so its
 * size is bounded (MAX_TABLE_CELLS); past it the caller takes the sparse automaton
 * (sparse-form-automaton.ts), as linear, which reads every character.
 */
import type { Span } from './mask-spans.js';
import { escapeRegExp } from './escape-regexp.js';

/** Cells of the next-state table (4 bytes each): 16 MiB. */
export const MAX_TABLE_CELLS = 4 * 1024 * 1024;

/**
 * Characters the automaton reads past the last form's end before the regex search takes over
 * again: the search skips plain text about ten times faster, the automaton never rereads a run.
 */
const QUIET = 64;

/** What finds the forms in a text: `found(start, end)` for the longest form ending at each place, in order of end. */
export interface FormScanner {
  scan(text: string, found: (start: number, end: number) => void): void;
}

export class FormAutomaton implements FormScanner {
  /** Column of each UTF-16 code unit; 0 for a character no form holds. */
  private readonly columnOf = new Uint16Array(0x10000);
  private readonly columns: number;
  /** next[state * columns + column]: the state after reading that character. */
  private readonly next: Int32Array;
  /** Length of the longest form that ends at a state (a suffix of what it has read), 0 for none. */
  private readonly longest: Int32Array;
  /** How many characters a state stands for: where a form still unfinished may have started. */
  private readonly depth: Int32Array;
  /** The forms' alternation, longest first: the regex engine's fast search for the next match. */
  private readonly search: RegExp;

  private constructor(forms: readonly string[], columns: number, states: number) {
    this.columns = columns;
    this.next = new Int32Array(states * columns).fill(-1);
    this.longest = new Int32Array(states);
    this.depth = new Int32Array(states);
    const longestFirst = [...forms].sort((a, b) => b.length - a.length);
    this.search = new RegExp(longestFirst.map(escapeRegExp).join('|'), 'g');
    this.build(forms, states);
  }

  /** The automaton of `forms` (non-empty strings), or undefined when its table would be too large. */
  static of(forms: readonly string[]): FormAutomaton | undefined {
    const { states, columns } = FormAutomaton.tableOf(forms);
    if (states * columns > MAX_TABLE_CELLS) return undefined;
    return new FormAutomaton(forms, columns, states);
  }

  /** Whether the table of `forms` stays within MAX_TABLE_CELLS (else `of` gives none). */
  static fits(forms: readonly string[]): boolean {
    const { states, columns } = FormAutomaton.tableOf(forms);
    return states * columns <= MAX_TABLE_CELLS;
  }

  /** The table's rows (at most one state per character of the forms, and the root) and columns. */
  private static tableOf(forms: readonly string[]): { states: number; columns: number } {
    const characters = new Set<number>();
    let states = 1;
    for (const form of forms) {
      states += form.length;
      for (let i = 0; i < form.length; i++) characters.add(form.charCodeAt(i));
    }
    return { states, columns: characters.size + 1 };
  }

  private build(forms: readonly string[], maxStates: number): void {
    const { columns, next, longest, columnOf } = this;
    let column = 1;
    for (const form of forms) {
      for (let i = 0; i < form.length; i++) {
        const code = form.charCodeAt(i);
        if (columnOf[code] === 0) columnOf[code] = column++;
      }
    }
    // the trie: -1 where no form goes on
    let states = 1;
    for (const form of forms) {
      let state = 0;
      for (let i = 0; i < form.length; i++) {
        const cell = state * columns + columnOf[form.charCodeAt(i)];
        if (next[cell] < 0) {
          next[cell] = states++;
          this.depth[next[cell]] = i + 1;
        }
        state = next[cell];
      }
      longest[state] = form.length;
    }
    if (states > maxStates) throw new Error('form automaton: more states than counted');
    // breadth first, each missing move becomes the move of the state's failure (its longest proper
    // suffix in the trie), and each state's longest form is its own or its failure's
    const fail = new Int32Array(states);
    const queue = new Int32Array(states);
    let head = 0;
    let tail = 0;
    for (let c = 0; c < columns; c++) {
      const child = next[c];
      if (child > 0) {
        fail[child] = 0;
        queue[tail++] = child;
      } else next[c] = 0; // from the root, a character no form starts with stays there
    }
    while (head < tail) {
      const state = queue[head++];
      if (longest[state] === 0) longest[state] = longest[fail[state]];
      const row = state * columns;
      const failRow = fail[state] * columns;
      for (let c = 0; c < columns; c++) {
        const child = next[row + c];
        if (child > 0 && c > 0) {
          fail[child] = next[failRow + c];
          queue[tail++] = child;
        } else next[row + c] = next[failRow + c];
      }
    }
  }

  /**
   * Calls `found(start, end)` for the longest form ending at each place a form ends, in order of
   * `end`; together they cover exactly what every match of every form covers. The regex's fast
   * search skips the text holding no form; the automaton reads on from each match it finds until
   * QUIET characters pass without a form ending, then hands back to the search from the earliest
   * place a form still unfinished may have started.
   */
  scan(text: string, found: (start: number, end: number) => void): void {
    const { columns, next, longest, depth, search } = this;
    const columnOf = this.columnOf;
    // every form ending at or before `reported` has been found; the search starts at `from`
    let reported = 0;
    let from = 0;
    while (from < text.length) {
      const match = this.firstAfter(text, from, reported);
      if (match === undefined) break;
      let state = 0;
      let i = match[0];
      let lastEnd = i;
      // at least to the match's end: a form longer than QUIET would be found again and again from
      // its start, never read to its end
      for (; i < text.length && (i < match[1] || i - lastEnd < QUIET); i++) {
        state = next[state * columns + columnOf[text.charCodeAt(i)]];
        const length = longest[state];
        if (length > 0) {
          // a form ending at or before `reported` was found in an earlier round: reporting it again
          // would break the order of ends SpanUnion relies on (its union is right only by luck then)
          if (i + 1 > reported) found(i + 1 - length, i + 1);
          lastEnd = i + 1;
        }
      }
      reported = i;
      from = i - depth[state];
    }
    search.lastIndex = 0;
  }

  /**
   * The first form ending after `reported`, searching from `from` (undefined: none). Forms from
   * before `reported` were found already: none of those starting at `from` or after ends past it,
   * since the automaton's state there was as deep as the earliest such start.
   */
  private firstAfter(text: string, from: number, reported: number): Span | undefined {
    const { search } = this;
    search.lastIndex = from;
    for (let match = search.exec(text); match; match = search.exec(text)) {
      const end = match.index + match[0].length;
      if (end > reported) return [match.index, end];
      search.lastIndex = match.index + 1;
    }
    return undefined;
  }
}
