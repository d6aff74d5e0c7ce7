/**
 * The forms' Aho-Corasick automaton without a next-state table, for a set of forms whose table
 * would pass FormAutomaton's cap (a long access token learnt at run time has some fifty forms of
 * a thousand characters and more, most of them distinct). Past the cap the redactor fell back to
 * a regex search per match: a megabyte of `0` with the weak secret `0000` cost a search, a span
 * and a widening per character, and a sort of them all.
 *
 * Here each state keeps its one child in two arrays (a trie of long forms is mostly chains) and
 * only a branching state a map; a missing move follows the failure links, each of which goes
 * back at least one character, so a text is read in time linear in its length, whatever it
 * holds. The root's moves are a table of every UTF-16 code unit: most characters of a text start
 * no form and cost one look-up there. It reads every character, where the table's automaton
 * lets the forms' regex skip text holding none: the regex of forms this many is slower than
 * reading (a megabyte of ordinary text holding a secret: 54 ms by the regex, 7.5 by reading).
 */
import { FormAutomaton, type FormScanner } from './form-automaton.js';

const NONE = -1;

export class SparseFormAutomaton implements FormScanner {
  /** The state after the root reads each code unit, 0 for none. */
  private readonly rootMoves = new Int32Array(0x10000);
  /** Each state's first child's code unit (NONE: a leaf) and the child; further ones in `more`. */
  private readonly onlyCode: Int32Array;
  private readonly onlyChild: Int32Array;
  private readonly more = new Map<number, Map<number, number>>();
  private readonly fail: Int32Array;
  /** Length of the longest form that ends at a state (a suffix of what it has read), 0 for none. */
  private readonly longest: Int32Array;

  constructor(forms: readonly string[]) {
    let states = 1;
    for (const form of forms) states += form.length;
    this.onlyCode = new Int32Array(states).fill(NONE);
    this.onlyChild = new Int32Array(states);
    this.fail = new Int32Array(states);
    this.longest = new Int32Array(states);
    const used = this.buildTrie(forms);
    this.linkFailures(used);
  }

  private childOf(state: number, code: number): number {
    if (state === 0) return this.rootMoves[code] || NONE;
    if (this.onlyCode[state] === code) return this.onlyChild[state];
    return this.more.get(state)?.get(code) ?? NONE;
  }

  private addChild(state: number, code: number, child: number): void {
    if (state === 0) this.rootMoves[code] = child;
    else if (this.onlyCode[state] === NONE) {
      this.onlyCode[state] = code;
      this.onlyChild[state] = child;
    } else {
      let others = this.more.get(state);
      if (!others) this.more.set(state, (others = new Map()));
      others.set(code, child);
    }
  }

  /** The trie of the forms; how many states it has. */
  private buildTrie(forms: readonly string[]): number {
    let states = 1;
    for (const form of forms) {
      let state = 0;
      for (let i = 0; i < form.length; i++) {
        const code = form.charCodeAt(i);
        let child = this.childOf(state, code);
        if (child === NONE) this.addChild(state, code, (child = states++));
        state = child;
      }
      this.longest[state] = Math.max(this.longest[state], form.length);
    }
    return states;
  }

  /** Each state's children as [code, child] pairs. */
  private *children(state: number): Generator<[number, number]> {
    if (this.onlyCode[state] === NONE) return;
    yield [this.onlyCode[state], this.onlyChild[state]];
    const others = this.more.get(state);
    if (others) yield* others;
  }

  /**
   * Breadth first, each state's failure (the state of its longest proper suffix in the trie) and
   * its longest form, its own or its failure's.
   */
  private linkFailures(states: number): void {
    const { fail, longest, rootMoves } = this;
    const queue = new Int32Array(states);
    let head = 0;
    let tail = 0;
    for (let code = 0; code < rootMoves.length; code++) if (rootMoves[code] > 0) queue[tail++] = rootMoves[code];
    while (head < tail) {
      const state = queue[head++];
      for (const [code, child] of this.children(state)) {
        fail[child] = this.move(fail[state], code);
        if (longest[child] === 0) longest[child] = longest[fail[child]];
        queue[tail++] = child;
      }
    }
  }

  /** The state after `state` reads `code`: its child, else its failure's move, down to the root. */
  private move(state: number, code: number): number {
    for (;;) {
      if (state === 0) return this.rootMoves[code];
      const child = this.childOf(state, code);
      if (child !== NONE) return child;
      state = this.fail[state];
    }
  }

  /** As FormAutomaton.scan: the longest form ending at each place a form ends, in order of end. */
  scan(text: string, found: (start: number, end: number) => void): void {
    const { longest } = this;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      state = this.move(state, text.charCodeAt(i));
      const length = longest[state];
      if (length > 0) found(i + 1 - length, i + 1);
    }
  }
}

/** The forms' automaton: its next-state table when that fits under the cap, else the sparse one. */
export function formScanner(forms: readonly string[]): FormScanner {
  return FormAutomaton.of(forms) ?? new SparseFormAutomaton(forms);
}
