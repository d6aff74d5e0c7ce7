/**
 * A mask outside any JSON string: a secret that is all digits (a PIN) matched in a number, or one
 * spelling a literal, masked as a bare `**********` left the JSON text it was in unparseable (a
 * FHIR answer, a log line, the body an OpenHIM orchestration shows). There the whole token (the
 * number or literal holding the match) is replaced by the mask as a JSON string: the value reads
 * as masked, the text stays JSON. So is a mask across a string's bounds (a secret holding `"`):
 * masked in each string it touches, the quotes and punctuation kept. A text that is not JSON, and
 * every mask inside one string, is masked as before.
 */
import { isEscaped } from './escape-bounds.js';
import { maskSpans, type Span } from './mask-spans.js';

/**
 * Where the text stands: `whole`, a text of its own (JSON when it parses); `outside` or `inside`,
 * a piece of a JSON text holding no unescaped quote, between two strings or within one.
 */
export type JsonPlace = 'whole' | 'outside' | 'inside';

const QUOTE = 0x22;
/**
 * An object, an array or a string (an OpenHIM body may be a JSON string alone: a secret holding
 * `"` matched across its own quotes took them with it). Texts opening otherwise are not looked at
 * as JSON: a plain-text answer of a PIN alone stays as it was masked.
 */
const OPENS_JSON = /^\s*[{["]/;

/** A span and whether its mask is written as a JSON string. */
type Mask = [start: number, end: number, quoted: boolean];

/** The text with each union of overlapping spans masked, a mask outside JSON strings as one too. */
export function maskSpansInJson(text: string, spans: readonly Span[], mask: string, place: JsonPlace): string {
  if (spans.length === 0 || place === 'inside' || (place === 'whole' && !OPENS_JSON.test(text)))
    return maskSpans(text, spans, mask);
  // nearly every match lies inside a string, beside a quote or a letter of it: told apart here
  // without a walk, an allocation or a sort per span
  const whole = place === 'whole';
  if (!mayMaskInJson(text, spans, whole)) return maskSpans(text, spans, mask);
  const merged = unions(spans);
  const masks = jsonMasks(text, merged, whole ? stringState(text) : () => false);
  // the unions written as they are, where nothing differs or the text is not JSON after all
  const plain = () =>
    written(
      text,
      merged.map(([start, end]): Mask => [start, end, false]),
      mask,
    );
  return masks === undefined || (whole && !parses(text)) ? plain() : written(text, masks, mask);
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
      if (!inString || !isEscaped(text, quote)) inString = !inString;
    }
    return inString;
  };
}

/**
 * Each union as it is masked in JSON, or undefined when every one is masked as plain text would
 * be. One outside strings made only of a token's characters is widened to the whole token and
 * quoted; one crossing a string's bounds (a secret holding `"`, matched at the end of one string
 * and the start of the next) is split there (see acrossBounds). Widened, a union may take in the
 * next ones. Only a token standing between JSON's punctuation or spaces can be outside strings
 * (one beside a quote or a backslash is inside one): the walk over the quotes is made for those.
 */
function jsonMasks(text: string, spans: readonly Span[], inString: (at: number) => boolean): Mask[] | undefined {
  const out: Mask[] = [];
  let differs = false;
  let token: Span = [0, 0];
  const add = (mask: Mask) => {
    const last = out[out.length - 1];
    if (last && mask[0] < last[1]) out[out.length - 1] = [last[0], Math.max(last[1], mask[1]), last[2] && mask[2]];
    else out.push(mask);
  };
  for (const [start, end] of spans) {
    if (allTokenChars(text, start, end)) {
      // unions are in order: one starting inside the last token lies in that token
      if (start >= token[1]) token = [tokenStart(text, start), tokenEnd(text, end)];
      const bare = standsAlone(text, token) && !inString(start);
      add(bare ? [token[0], token[1], true] : [start, end, false]);
      differs ||= bare;
    } else if (holdsQuote(text, start, end) || (acrossValues(text, start, end) && !inString(start))) {
      const parts = acrossBounds(text, [start, end], inString(start));
      parts.forEach(add);
      differs ||= parts.length !== 1 || parts[0][0] !== start || parts[0][1] !== end || parts[0][2];
    } else add([start, end, false]);
  }
  return differs ? out : undefined;
}

/**
 * A union crossing a string's bounds in a JSON text, cut at each quote that opens or closes a
 * string: the part inside a string masked, each number or literal outside one masked as a
 * string, the quotes and JSON's punctuation kept. Masked as one, the mask took the quotes with
 * it and the text was no longer JSON; looked for only inside strings, a secret concatenated
 * into JSON by an upstream (`["bad a","b"]` for `a","b`) would stand there in clear.
 */
function acrossBounds(text: string, [start, end]: Span, startsInString: boolean): Mask[] {
  const out: Mask[] = [];
  let inString = startsInString;
  let from = start;
  for (let quote = text.indexOf('"', start); quote >= 0 && quote < end; quote = text.indexOf('"', quote + 1)) {
    if (inString && isEscaped(text, quote)) continue;
    out.push(...partMasks(text, from, quote, inString));
    inString = !inString;
    from = quote + 1;
  }
  return [...out, ...partMasks(text, from, end, inString)];
}

/** A part of a union between two of its text's own quotes, as masks (see acrossBounds). */
function partMasks(text: string, from: number, to: number, inString: boolean): Mask[] {
  if (inString) return from < to ? [[from, to, false]] : [];
  const out: Mask[] = [];
  for (let at = from; at < to; at++) {
    if (!isTokenChar(text.charCodeAt(at))) continue;
    out.push([tokenStart(text, at), tokenEnd(text, at), true]);
    at = out[out.length - 1][1];
  }
  return out;
}

/**
 * Whether the span holds a quote that may open or close a string: one after an even run of
 * backslashes (a backslash stands only inside strings, so one after an odd run is inside one:
 * the JSON-escaped form of a secret holding `"` costs no walk).
 */
function holdsQuote(text: string, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (text.charCodeAt(at) === QUOTE && !isEscaped(text, at)) return true;
  return false;
}

/** JSON's punctuation and spaces: what a value outside strings stands between. */
const BESIDE_VALUE = /[\s,:[\]{}]/;

/** A character of a number or of true, false, null. */
const VALUE_CHAR = /[0-9+\-.eEtrufalsn]/;

/**
 * Whether a span may run over values outside strings (a secret `1234,5678` matched in
 * `[1234,5678]`): a value's characters and JSON's punctuation or spaces only, one of each at
 * least (`open 1234` is in a string, and costs no walk over the text's quotes). Masked as one,
 * the mask took the comma and the text was no longer JSON; it is cut as a span across strings'
 * bounds is (acrossBounds), each number or literal masked as a string.
 */

function acrossValues(text: string, start: number, end: number): boolean {
  let punctuation = false;
  let token = false;
  for (let at = start; at < end; at++) {
    if (VALUE_CHAR.test(text[at])) token = true;
    else if (BESIDE_VALUE.test(text[at])) punctuation = true;
    else return false;
  }
  return punctuation && token;
}

/**
 * Whether any span may be masked otherwise in JSON: a token standing between JSON's punctuation
 * or spaces, or (in a whole text) a span holding a string's own quote. Spans in order (the
 * automaton's, the regex's) have each token looked at once; out of order (a literal search's),
 * a span's token is looked at only near it (mayBeBare).
 */
function mayMaskInJson(text: string, spans: readonly Span[], whole: boolean): boolean {
  let token: Span = [-1, -1];
  let alone = false;
  let last = -1;
  for (const [start, end] of spans) {
    if ((whole && holdsQuote(text, start, end)) || acrossValues(text, start, end)) return true;
    if (!allTokenChars(text, start, end)) continue;
    if (start < last) {
      if (mayBeBare(text, start, end)) return true;
      continue;
    }
    last = start;
    if (start >= token[1]) {
      token = [tokenStart(text, start), tokenEnd(text, end)];
      alone = standsAlone(text, token);
    }
    if (alone) return true;
  }
  return false;
}

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
