import { deepFreeze } from '../platform/deep-freeze.js';

/** URLs remembered; past this the longest unused is dropped. */
const MAX_URLS = 64;
/**
 * Characters of text remembered in all: ~28 pages of 20 full facilities (35 KB each), a few MB
 * with their parsed values, so the idle footprint (issue 18: ≤ 110 MB) barely moves.
 */
const MAX_CHARS = 1_000_000;

interface Parsed {
  text: string;
  contentType: string | undefined;
  value: unknown;
}

/**
 * The last answer text per URL and what it parsed to (issue 18). Some upstreams send no
 * validators (OpenLMIS: no ETag, no Last-Modified), so a page has to be fetched every time, but
 * an unchanged page comes back byte-identical: comparing 35 KB of text costs a few µs where
 * JSON.parse of it cost ~240 µs. The same parsed value is then answered again, so what a caller
 * derived from it (decoded facilities, by identity) is found again at once.
 *
 * The value is shared by every caller of that URL, so it is deep-frozen: a caller that changes
 * it in place fails instead of changing the next caller's answer. A value is only ever answered
 * for the very text it was parsed from. Only calls that ask for it (RawRequest.reuseParsed)
 * come here, since most callers own, and may change, what they get.
 */
export class ReusedParse {
  private readonly last = new Map<string, Parsed>();
  private chars = 0;

  constructor(
    private readonly maxUrls = MAX_URLS,
    private readonly maxChars = MAX_CHARS,
  ) {}

  /** The value `text` parses to: the remembered one when `text` is what `url` answered last. */
  parse(url: string, text: string, contentType: string | undefined, parse: () => unknown): unknown {
    const known = this.last.get(url);
    if (known && known.text === text && known.contentType === contentType) {
      // used again: the last to be dropped
      this.last.delete(url);
      this.last.set(url, known);
      return known.value;
    }
    const value = deepFreeze(parse());
    this.forget(url);
    // a string answer (not JSON) costs nothing to produce again; a huge one would crowd out the rest
    if (typeof value === 'object' && value !== null && text.length <= this.maxChars / 4)
      this.remember(url, { text, contentType, value });
    return value;
  }

  /** How many URLs are remembered (for tests). */
  get size(): number {
    return this.last.size;
  }

  private remember(url: string, parsed: Parsed): void {
    this.last.set(url, parsed);
    this.chars += parsed.text.length;
    while (this.last.size > this.maxUrls || this.chars > this.maxChars)
      this.forget(this.last.keys().next().value as string);
  }

  private forget(url: string): void {
    const known = this.last.get(url);
    if (!known) return;
    this.chars -= known.text.length;
    this.last.delete(url);
  }
}
