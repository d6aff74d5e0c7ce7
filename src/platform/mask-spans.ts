/**
 * Where masks go in a text: the union of every place a known form matches. Masking match by match
 * from left to right (a regex replace, or one split per secret) resumes after each masked match,
 * so a form that starts inside it and ends past it (two secrets built to overlap, or one secret's
 * encoded form running into another's) would keep its end in clear. Spans that only touch stay
 * apart: each occurrence gets its own mask, as before.
 */

/** A stretch of a text, [start, end). */
export type Span = readonly [start: number, end: number];

/**
 * Every place the global `pattern` matches, including those that start inside another match
 * (the search restarts one character after each match's start, not at its end). The pattern's
 * alternatives are longest first, so each start's span is the longest form there.
 */
export function patternSpans(text: string, pattern: RegExp): Span[] {
  const spans: Span[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    spans.push([match.index, match.index + match[0].length]);
    pattern.lastIndex = match.index + 1;
  }
  pattern.lastIndex = 0;
  return spans;
}

/**
 * The unions of spans given in order of their end (FormAutomaton.scan's order), kept as they come:
 * a span overlapping the last union joins it, and any before it that it reaches back into. A run
 * of a million overlapping matches is one union, not a million spans to sort.
 */
export class SpanUnion {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  add(start: number, end: number): void {
    const { starts, ends } = this;
    // ends only grow, so a union this span overlaps ends after its start: the last ones
    while (ends.length > 0 && ends[ends.length - 1] > start) {
      ends.pop();
      start = Math.min(start, starts.pop()!);
    }
    starts.push(start);
    ends.push(end);
  }

  /** The unions, in order; each `widen`ed (see maskSpans, which joins those that then overlap). */
  spans(widen: (span: Span) => Span): Span[] {
    return this.starts.map((start, i) => widen([start, this.ends[i]]));
  }
}

/** Every occurrence of each literal (overlapping ones too), in no particular order. */
export function literalSpans(text: string, literals: readonly string[]): Span[] {
  const spans: Span[] = [];
  for (const literal of literals) {
    for (let at = text.indexOf(literal); at >= 0; at = text.indexOf(literal, at + 1)) {
      spans.push([at, at + literal.length]);
    }
  }
  return spans;
}

/** The text with each union of overlapping spans written as one `mask`. */
export function maskSpans(text: string, spans: readonly Span[], mask: string): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let from = 0;
  let [start, end] = sorted[0];
  for (const [s, e] of sorted) {
    if (s < end) {
      end = Math.max(end, e);
      continue;
    }
    out += text.slice(from, start) + mask;
    from = end;
    [start, end] = [s, e];
  }
  return out + text.slice(from, start) + mask + text.slice(end);
}
