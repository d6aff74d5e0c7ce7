import type { Redactor } from './redaction.js';

/** Texts shorter than this are cheap to redact again: not remembered. */
export const MIN_REMEMBERED_LENGTH = 1024;
/** Texts longer than this are not kept (a memo holds its texts alive). */
export const MAX_REMEMBERED_LENGTH = 1024 * 1024;
/** Distinct texts remembered: the last few large answers and upstream pages. */
export const KEEP = 8;

/**
 * What was made from a text a moment ago, by the same redactor in the same generation (issue 18:
 * a repeated search answers, and its upstream page holds, byte-identical text, redacted and
 * escaped again on every request). A hit needs the exact text (compared by length, then
 * memcmp, a few µs for 30 KB against tens for a redaction pass), the same `context` (whatever
 * else the value depends on) and the redactor's current generation, so a secret learnt live
 * misses every entry made before it: nothing of one text can reach another.
 */
export class TextMemo<V> {
  private readonly recent: { text: string; context: string; generation: number; value: V }[] = [];

  constructor(
    private readonly redactor: Redactor,
    private readonly keep = KEEP,
  ) {}

  /** make(text) for this text and context, from memory when it was made for them before. */
  get(text: string, context: string, make: (text: string) => V): V {
    if (text.length < MIN_REMEMBERED_LENGTH || text.length > MAX_REMEMBERED_LENGTH) return make(text);
    const generation = this.redactor.generation;
    for (const r of this.recent) {
      if (r.text.length === text.length && r.generation === generation && r.context === context && r.text === text)
        return r.value;
    }
    const value = make(text);
    // the redactor may have learnt something while making it (a token): keep it under the
    // generation it was made in, which a later lookup no longer matches
    this.recent.unshift({ text, context, generation, value });
    if (this.recent.length > this.keep) this.recent.pop();
    return value;
  }
}
