/**
 * Whether a text holds any of a set of literal strings (the redactor's known secret forms),
 * answered by a multi-pattern Horspool scan (Wu and Manber's, on two-character blocks) instead
 * of the alternation regex of every form. The regex tries the alternation at each position of
 * every text the mediator emits; this looks at one window end per up to `window - 1` characters
 * and skips ahead unless the two characters there end some form's first `window` characters.
 * Nearly every text holds no secret, so the answer is nearly always no (issue 18: about half
 * the CPU of the alternation's test on a recorded OpenLMIS answer, bench/masking.ts).
 *
 * The answer is exact, never a guess: a window whose end may end a form's prefix is checked
 * against those forms in full, and a skip never passes over a place a form could end its prefix.
 */

/** Two characters hashed into this many buckets; a collision only shortens a skip. */
const BUCKET_BITS = 12;
const BUCKETS = 1 << BUCKET_BITS;
const BUCKET_MASK = BUCKETS - 1;
/** Skips are kept in bytes. */
const MAX_WINDOW = 255;

function bucketOf(before: number, last: number): number {
  return ((before << 5) ^ last) & BUCKET_MASK;
}

export class FormFinder {
  /** Characters of each form's prefix the scan looks at: the shortest form's length (≥ 2). */
  private readonly window: number;
  /** How far the window may move when its last two characters fall in a bucket. */
  private readonly skip: Uint8Array;
  /** The forms whose prefix ends with a bucket's two characters. */
  private readonly endingIn = new Map<number, string[]>();

  /** `forms`: non-empty strings of at least two characters. */
  constructor(readonly forms: readonly string[]) {
    const shortest = Math.min(...forms.map((form) => form.length));
    if (forms.length === 0 || shortest < 2) throw new Error('FormFinder needs forms of two characters or more');
    this.window = Math.min(shortest, MAX_WINDOW);
    this.skip = new Uint8Array(BUCKETS).fill(this.window - 1);
    for (const form of forms) {
      for (let end = 1; end < this.window; end++) {
        const bucket = bucketOf(form.charCodeAt(end - 1), form.charCodeAt(end));
        this.skip[bucket] = Math.min(this.skip[bucket], this.window - 1 - end);
      }
      const last = bucketOf(form.charCodeAt(this.window - 2), form.charCodeAt(this.window - 1));
      const list = this.endingIn.get(last);
      if (list) list.push(form);
      else this.endingIn.set(last, [form]);
    }
  }

  /** Whether `text` contains any of the forms. */
  holds(text: string): boolean {
    const { window, skip } = this;
    const length = text.length;
    let end = window - 1;
    while (end < length) {
      const bucket = bucketOf(text.charCodeAt(end - 1), text.charCodeAt(end));
      const ahead = skip[bucket];
      if (ahead > 0) {
        end += ahead;
        continue;
      }
      const start = end - window + 1;
      for (const form of this.endingIn.get(bucket)!) if (text.startsWith(form, start)) return true;
      end += 1;
    }
    return false;
  }
}
