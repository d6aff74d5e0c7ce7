/**
 * A mask must not cut a JSON escape (`\n`, `\"`, `\\`, `\u00e9`) in two: a form matched from an
 * escape's letter on (a secret starting with `n` after a newline's `\n`) masked as `\**********`
 * is not valid JSON, and the OpenHIM envelope, a log line or a FHIR answer redacted as text must
 * stay parseable. A span that starts or ends inside an escape is widened to the whole escape:
 * masking a little more is safe, and a `*` is valid anywhere in a JSON string; but a span
 * starting on the escaped backslash of `\\` starts after it (see ownStart).
 */
import type { Span } from './mask-spans.js';

const BACKSLASH = 0x5c;
const HEX4 = /^[0-9a-fA-F]{4}$/;
/** The longest escape, `\uXXXX`, reaches this far past its backslash. */
const LONGEST_ESCAPE = 6;

/** Whether the character at `at` is escaped: an odd run of backslashes stands before it. */
export function isEscaped(text: string, at: number): boolean {
  let run = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) run++;
  return run % 2 === 1;
}

/** Whether the backslash at `at` starts an escape: it is not itself escaped. */
const startsEscape = (text: string, at: number): boolean => !isEscaped(text, at);

/**
 * 1 when the character at `at` is the low half of a surrogate pair: a backslash before an astral
 * character (`\😀` in text that is not JSON) is taken with the whole character, as a mask that
 * ended between the halves left a lone half, written out as U+FFFD.
 */
function lowHalf(text: string, at: number): number {
  const code = text.charCodeAt(at);
  const before = text.charCodeAt(at - 1);
  return code >= 0xdc00 && code <= 0xdfff && before >= 0xd800 && before <= 0xdbff ? 1 : 0;
}

/**
 * The escape that holds both the characters before and at `at` (a cut at `at` would split it), or
 * undefined.
 */
function escapeAcross(text: string, at: number): Span | undefined {
  for (let k = at - 1; k >= 0 && k > at - LONGEST_ESCAPE; k--) {
    if (text.charCodeAt(k) !== BACKSLASH || !startsEscape(text, k)) continue;
    // escapes never overlap: the nearest one starting before `at` is the only one that may cover it
    const length =
      text[k + 1] === 'u' && HEX4.test(text.slice(k + 2, k + 6)) ? LONGEST_ESCAPE : 2 + lowHalf(text, k + 2);
    return k + length > at ? [k, Math.min(k + length, text.length)] : undefined;
  }
  return undefined;
}

/**
 * Where a span starting at `start` starts in the text's own terms: after the backslash there when
 * it is the escaped one of `\\`. That backslash is the text's (a real backslash), not the `\` of
 * an escape in the form (a form `\/secret` matched in `\\/secret`, a backslash before the
 * secret): masked, it would take the text's backslash with it.
 */
export function ownStart(text: string, start: number): number {
  return text.charCodeAt(start) === BACKSLASH && !startsEscape(text, start) ? start + 1 : start;
}

/** The span widened so that neither of its ends cuts an escape (its start first taken as ownStart). */
export function widenToEscapes(text: string, [start, end]: Span): Span {
  const from = ownStart(text, start);
  const head = escapeAcross(text, from);
  const tail = escapeAcross(text, end);
  return [head ? head[0] : from, tail ? tail[1] : end];
}

/**
 * The last place at or before `at` where a text may be cut in two that are then read apart (a
 * streamed reply held back in pieces): not inside an escape, and after an even run of backslashes
 * only. Cut after an odd run, the second piece read alone would take its first character for an
 * escape's letter (`\n`) or lose one (`\\`); a run longer than a piece changes nothing, as each
 * piece read alone then counts the run from the same parity. The text must itself start at such
 * a place.
 */
export function cleanCut(text: string, at: number): number {
  for (;;) {
    let run = 0;
    while (run < at && text.charCodeAt(at - 1 - run) === BACKSLASH) run++;
    if (run % 2 === 1) at -= 1;
    const across = escapeAcross(text, at);
    if (across === undefined) return at;
    at = across[0];
  }
}
