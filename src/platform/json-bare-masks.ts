/**
 * A mask outside any JSON string: a secret that is all digits (a PIN) matched in a number, or one
 * spelling a literal, masked as a bare `**********` left the JSON text it was in unparseable (a
 * FHIR answer, a log line, the body an OpenHIM orchestration shows). There the whole token (the
 * number or literal holding the match) is replaced by the mask as a JSON string: the value reads
 * as masked, the text stays JSON. A text that is not JSON, and every mask inside a string, is
 * masked as before.
 */
import { maskSpans, type Span } from './mask-spans.js';

/**
 * Where the text stands: `whole`, a text of its own (JSON when it parses); `outside` or `inside`,
 * a piece of a JSON text holding no unescaped quote, between two strings or within one.
 */
export type JsonPlace = 'whole' | 'outside' | 'inside';

const BACKSLASH = 0x5c;
const OPENS_JSON = /^\s*[{[]/;

/** A span and whether its mask is written as a JSON string. */
type Mask = [start: number, end: number, quoted: boolean];

/** The text with each union of overlapping spans masked, a mask outside JSON strings as one too. */
export function maskSpansInJson(text: string, spans: readonly Span[], mask: string, place: JsonPlace): string {
  if (spans.length === 0 || place === 'inside' || (place === 'whole' && !OPENS_JSON.test(text)))
    return maskSpans(text, spans, mask);
  // nearly every match lies inside a string, beside a quote or a letter of it: told apart here
  // without a walk, an allocation or a sort per span
  if (!spans.some(([start, end]) => mayBeBare(text, start, end))) return maskSpans(text, spans, mask);
  const masks = bareTokens(text, unions(spans), place === 'outside' ? () => false : stringState(text));
  if (!masks.some(([, , quoted]) => quoted) || (place === 'whole' && !parses(text)))
    return maskSpans(text, spans, mask);
  return written(text, masks, mask);
}

/** The spans' unions, in order. */
function unions(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = out[out.length - 1];
    if (last && start < last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/**
 * Whether each place, asked in increasing order, is inside a JSON string: one walk over the
 * text's quotes (a quote inside a string is escaped: an odd run of backslashes before it), each
 * quote found once.
 */
function stringState(text: string): (at: number) => boolean {
  let quote = text.indexOf('"');
  let inString = false;
  return (at) => {
    for (; quote >= 0 && quote < at; quote = text.indexOf('"', quote + 1)) {
      if (!inString || !escaped(text, quote)) inString = !inString;
    }
    return inString;
  };
}

function escaped(text: string, at: number): boolean {
  let run = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) run++;
  return run % 2 === 1;
}

/**
 * Each union, one outside strings made only of a token's characters widened to the whole token
 * and marked to be quoted; widened, a union may take in the next ones. Only a token standing
 * between JSON's punctuation or spaces can be outside strings (one beside a quote or a backslash
 * is inside one): the walk over the quotes is made for those alone.
 */
function bareTokens(text: string, spans: readonly Span[], inString: (at: number) => boolean): Mask[] {
  const out: Mask[] = [];
  let token: Span = [0, 0];
  for (const [start, end] of spans) {
    let mask: Mask = [start, end, false];
    if (allTokenChars(text, start, end)) {
      // unions are in order: one starting inside the last token lies in that token
      if (start >= token[1]) token = [tokenStart(text, start), tokenEnd(text, end)];
      if (standsAlone(text, token) && !inString(start)) mask = [token[0], token[1], true];
    }
    const last = out[out.length - 1];
    if (last && mask[0] < last[1]) out[out.length - 1] = [last[0], Math.max(last[1], mask[1]), last[2] && mask[2]];
    else out.push(mask);
  }
  return out;
}

/** JSON's punctuation and spaces: what a value outside strings stands between. */
const BESIDE_VALUE = /[\s,:[\]{}]/;

/** How far the quick look for a token's bounds goes each side (a longer token is looked at whole). */
const LOOK = 32;

/**
 * Whether a span may be (in) a token outside strings: a token's characters, with JSON's
 * punctuation or spaces (not a quote, a backslash or a letter of a string) at the token's ends
 * when they are near. A numeric secret inside a string (`"a10000-b"`) then costs no walk.
 */
function mayBeBare(text: string, start: number, end: number): boolean {
  if (!allTokenChars(text, start, end)) return false;
  let before = start - 1;
  while (before >= 0 && before > start - 1 - LOOK && isTokenChar(text.charCodeAt(before))) before--;
  let after = end;
  while (after < text.length && after < end + LOOK && isTokenChar(text.charCodeAt(after))) after++;
  return besideOrFar(text, before, start - 1 - LOOK) && besideOrFar(text, after, end + LOOK);
}

/** The character at `at` is JSON's punctuation or a space, or the look stopped short of a bound. */
function besideOrFar(text: string, at: number, limit: number): boolean {
  return at < 0 || at >= text.length || at === limit || BESIDE_VALUE.test(text[at]);
}

function standsAlone(text: string, [start, end]: Span): boolean {
  return (start === 0 || BESIDE_VALUE.test(text[start - 1])) && (end === text.length || BESIDE_VALUE.test(text[end]));
}

/** A character of a number or a literal (true, false, null): what a value outside strings is made of. */
function isTokenChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || // 0-9
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    code === 0x2b || // +
    code === 0x2d || // -
    code === 0x2e // .
  );
}

function allTokenChars(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isTokenChar(text.charCodeAt(i))) return false;
  return true;
}

function tokenStart(text: string, at: number): number {
  while (at > 0 && isTokenChar(text.charCodeAt(at - 1))) at--;
  return at;
}

function tokenEnd(text: string, at: number): number {
  while (at < text.length && isTokenChar(text.charCodeAt(at))) at++;
  return at;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function written(text: string, masks: readonly Mask[], mask: string): string {
  let out = '';
  let from = 0;
  for (const [start, end, quoted] of masks) {
    out += text.slice(from, start) + (quoted ? `"${mask}"` : mask);
    from = end;
  }
  return out + text.slice(from);
}
