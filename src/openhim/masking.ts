/**
 * Masking of credentials in what we hand to OpenHIM (orchestrations are stored in core's MongoDB
 * and shown in the console to anyone with transaction view rights).
 * Rule: a header, query parameter, form field or JSON key whose name looks like a credential has
 * its value replaced; known secret values are scrubbed wherever they still appear.
 */
import { ownStart, widenToEscapes } from '../platform/escape-bounds.js';
import type { FormScanner } from '../platform/form-automaton.js';
import { FormFinder } from '../platform/form-finder.js';
import { maskSpansInJson } from '../platform/json-bare-masks.js';
import { literalSpans, SpanUnion, type Span } from '../platform/mask-spans.js';
import { MASK, MIN_SECRET_LENGTH } from '../platform/redaction.js';
import { formScanner } from '../platform/sparse-form-automaton.js';
import type { HeaderValues } from '../platform/call-recording.js';

export { MASK };

const SENSITIVE_NAME =
  /passw|passwd|^pass$|pwd|secret|token|authori[sz]ation|api[-_]?key|cookie|session[-_]?id|credential|private[-_]?key|signature/i;

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name);
}

/** Keeps the auth scheme (`Basic`, `Bearer`) visible: it helps diagnose, the credential does not. */
function maskHeaderValue(value: string): string {
  const scheme = /^([A-Za-z][\w-]*)\s+\S/.exec(value);
  return scheme ? `${scheme[1]} ${MASK}` : MASK;
}

/** Challenge parameters that only name things (RFC 6750 §3, RFC 7617 §2); any other may echo a credential. */
const SAFE_CHALLENGE_PARAMS = /^(realm|error|scope|charset)$/i;

/**
 * `WWW-Authenticate: Bearer realm="x", error="invalid_token", error_description="… <the token>"`:
 * servers echo the refused credential in the description or as a token68, so only the scheme and
 * the naming parameters are kept.
 */
export function maskChallenge(value: string): string {
  return value.replace(
    /([A-Za-z][\w-]*)(\s+)([^,]+(?:,\s*[A-Za-z][\w-]*\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*))*)/g,
    (whole, scheme: string, space: string, rest: string) => {
      if (/^[\w\-.~+/]+=*\s*$/.test(rest)) return `${scheme}${space}${MASK}`; // a token68 credential
      const params = [...rest.matchAll(/([A-Za-z][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)/g)];
      if (params.length === 0) return `${scheme}${space}${MASK}`;
      return `${scheme}${space}${params.map(([, key, val]) => `${key}=${SAFE_CHALLENGE_PARAMS.test(key) ? val : `"${MASK}"`}`).join(', ')}`;
    },
  );
}

const CHALLENGE_HEADER = /^(www|proxy)-authenticate$/i;

export function maskHeaders(
  headers: HeaderValues | undefined,
  secretValues: readonly string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) continue;
    out[name] = maskHeader(name, Array.isArray(raw) ? raw.join(', ') : String(raw), secretValues);
  }
  return out;
}

/** One header's value as maskHeaders writes it (the value already joined with ', '). */
export function maskHeader(name: string, value: string, secretValues: readonly string[] = []): string {
  const masked = isSensitiveName(name)
    ? maskHeaderValue(value)
    : CHALLENGE_HEADER.test(name)
      ? maskChallenge(value)
      : value;
  return scrubSecretValues(masked, secretValues);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Masks `a=b&c=d` text in place, keeping the caller's encoding of everything not masked. */
export function maskUrlEncoded(text: string): string {
  return text
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      return isSensitiveName(safeDecode(pair.slice(0, eq))) ? `${pair.slice(0, eq)}=${MASK}` : pair;
    })
    .join('&');
}

/**
 * A value under a credential-like name that can hold a credential: text or a number (a PIN). A
 * boolean cannot, and its name only looks like one (OpenLMIS programs' `skipAuthorization`, in
 * every requisition a recorded call returns): masked, it read as a secret string instead of the
 * flag an operator reads to see why a requisition was or was not authorized.
 */
function mayHoldCredential(value: unknown): boolean {
  return value !== null && typeof value !== 'object' && typeof value !== 'boolean';
}

export function maskJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskJsonValue);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      out[key] = isSensitiveName(key) && mayHoldCredential(inner) ? MASK : maskJsonValue(inner);
    }
    return out;
  }
  return value;
}

// `"password": "x"`, `password=x`, `token: x` in text that is neither JSON nor a form (logs, HTML, partial JSON).
const INLINE_SECRET =
  /(["']?[\w-]*(?:passw|passwd|pwd|secret|token|api[-_]?key)[\w-]*["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s"'&,;<>}]+)/gi;

function maskInlineSecrets(text: string): string {
  return text.replace(
    INLINE_SECRET,
    (_m, key: string, value: string) =>
      key + (value.startsWith('"') ? `"${MASK}"` : value.startsWith("'") ? `'${MASK}'` : MASK),
  );
}

const FORM_LIKE = /^[\w.%+\-[\]]+=[^&\s]*(?:&[\w.%+\-[\]]+=[^&\s]*)*$/;

// Every sensitive name contains one of these; escaped text (\\u…, %xx) could hide a name, so it never takes the fast path.
const SENSITIVE_ANYWHERE =
  /passw|pass["'=:]|pwd|secret|token|authori[sz]ation|api[-_]?key|cookie|session[-_]?id|credential|private[-_]?key|signature/i;

const PERCENT_ESCAPE = /%[0-9a-f]{2}/i;

/**
 * The only escapes that can spell a letter, `-` or `_` (all a sensitive name is made of): JSON's
 * \uXXXX and a form's %XX. JSON's other escapes (\" \\ \/ \b \f \n \r \t) decode to none of them,
 * so a name they sit in is matched in the text as it is, and a body with only those keeps the
 * fast path (one \" in a facility name sent each OpenLMIS page through parse and stringify:
 * ~0.5 ms per search, issue 18). Asked as literal searches, which the engine runs as fast scans
 * for a rare character: one regex of both, tried at every position, was ~9 µs of the ~24 a
 * 13.8 KB OpenLMIS answer's masking took (issue 18).
 */
function hasEscapeThatCanHideAName(text: string): boolean {
  return text.includes('\\u') || text.includes('\\U') || (text.includes('%') && PERCENT_ESCAPE.test(text));
}

const EACH_SENSITIVE = new RegExp(SENSITIVE_ANYWHERE.source, 'gi');

/**
 * The rest of a name (letters, digits, `_`, `-`) closing a JSON key, and a flag as its value: a
 * name that only looks like a credential's. In valid JSON a `"` followed by `:` ends a key, never a
 * string value, whose quotes are escaped. Only name characters may sit between: in text that is not
 * JSON, `token=abc": true` would otherwise pass with `abc` unmasked, which the inline scan masks.
 */
const FLAG_AFTER_NAME = /[\w-]*"\s*:\s*(?:true|false|null)\s*[,}\]]/y;
const NAME_CHAR = /[\w-]$/;
const JSON_OBJECT_OR_ARRAY = /^\s*[{[]/;

/**
 * Does every credential-like name in a JSON text hold a flag? OpenLMIS's `skipAuthorization` sits
 * in every requisition 4 of an order's 5 calls return: parsing, walking and re-serializing each to
 * keep a boolean cost ~10M instructions per order through OpenHIM, a quarter of the order (issue 18).
 * Only a text that opens as JSON and is not sent as a form qualifies, and a match must end on a
 * name character (`pass=`, `pass"` end on another): a form such as `pass=hunter2":true}` or
 * `{token":true,=hunter2` is masked as a form, where hunter2 is the value.
 */
function onlyFlagsUnderSensitiveNames(text: string, contentType: string): boolean {
  if (!JSON_OBJECT_OR_ARRAY.test(text) || /x-www-form-urlencoded/i.test(contentType)) return false;
  for (const match of text.matchAll(EACH_SENSITIVE)) {
    if (!NAME_CHAR.test(match[0])) return false;
    FLAG_AFTER_NAME.lastIndex = match.index + match[0].length;
    if (!FLAG_AFTER_NAME.test(text)) return false;
  }
  return true;
}

/** Masks a body given as text; JSON and form bodies are parsed, anything else is scanned. */
export function maskBodyText(text: string, contentType = '', secretValues: readonly string[] = []): string {
  // Fast path: most upstream bodies (FHIR, stock, facility lists) name no credential at all, or
  // name one only as a flag; kept as the upstream sent them.
  if (
    !hasEscapeThatCanHideAName(text) &&
    (!SENSITIVE_ANYWHERE.test(text) || onlyFlagsUnderSensitiveNames(text, contentType))
  )
    return scrubSecretValues(text, secretValues);
  let masked: string;
  const trimmed = text.trim();
  if (/json/i.test(contentType) || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      masked = JSON.stringify(maskJsonValue(JSON.parse(text)));
    } catch {
      masked = maskInlineSecrets(text);
    }
  } else if (/x-www-form-urlencoded/i.test(contentType) || FORM_LIKE.test(trimmed)) {
    masked = maskUrlEncoded(text);
  } else {
    masked = maskInlineSecrets(text);
  }
  return scrubSecretValues(masked, secretValues);
}

/** Shorter texts are searched secret by secret: a finder's table costs more to make than it saves. */
const FINDER_FROM_LENGTH = 512;
/** Secret lists a finder is kept for: the configured secrets with each call's credential. */
const KEEP_FINDERS = 8;

/** A secret list's scan for any of them and its automaton for where they are (built on first need). */
interface Scanners {
  finder: FormFinder;
  automaton?: FormScanner;
}
const scannersBySecrets = new Map<string, Scanners>();

/**
 * One scan for all of a list's maskable secrets, made once per distinct list. Nearly every
 * recorded body holds none, and a String.includes per secret (each configured secret and the
 * call's token) cost ~5 µs each on a 13.8 KB OpenLMIS answer (issue 18).
 */
function scannersOf(maskable: readonly string[]): Scanners {
  // JSON, not a joined text: a secret holding the separator must not make two lists one key
  const key = JSON.stringify(maskable);
  let scanners = scannersBySecrets.get(key);
  if (!scanners) {
    scanners = { finder: new FormFinder(maskable) };
    if (scannersBySecrets.size >= KEEP_FINDERS) scannersBySecrets.delete(scannersBySecrets.keys().next().value!);
    scannersBySecrets.set(key, scanners);
  }
  return scanners;
}

/**
 * The long text with every occurrence of the secrets masked as their union, read once by the
 * list's automaton (past its table's cap, the sparse one: a long secret of many distinct
 * characters): one indexOf per occurrence of a weak secret (`0000` in a megabyte of `0`)
 * gathered and sorted a million spans.
 */
function maskLongText(text: string, scanners: Scanners, raw: ReadonlySet<string>): string {
  scanners.automaton ??= formScanner(scanners.finder.forms);
  const union = new SpanUnion();
  scanners.automaton.scan(text, (start, end) => union.add(matchStart(text, start, end, raw), end));
  return maskSpansInJson(text, union.spans(wholeEscapesIn(text)), MASK, 'whole');
}

const wholeEscapesIn = (text: string) => (span: Span) => widenToEscapes(text, span);

/**
 * Where a match starts in the text's own terms (escape-bounds ownStart): after the escaped
 * backslash of `\\` for an escaped form, whose `\` is an escape's and not the text's. A secret as
 * given that starts with `\` matched there is the text's backslash, the string's last character
 * when the rest crosses its closing quote (`\":{` in `"n1\\":{`): the whole escape is masked with
 * it, else that character of the secret stood in clear.
 */
function matchStart(text: string, start: number, end: number, raw: ReadonlySet<string>): number {
  const own = ownStart(text, start);
  return own !== start && raw.has(text.slice(start, end)) ? start - 1 : own;
}

/**
 * Every occurrence masked as their union, each widened to whole JSON escapes as the redactor does
 * (escape-bounds): a body is scrubbed as text, and a secret after a newline's `\n` or before a
 * `\"` masked as `\**********` or `**********\"` left the JSON body it was in unparseable.
 */
function maskLiterals(text: string, present: readonly string[], raw: ReadonlySet<string>): string {
  const spans = literalSpans(text, present).map(([start, end]): Span => [matchStart(text, start, end, raw), end]);
  return maskSpansInJson(text, spans.map(wholeEscapesIn(text)), MASK, 'whole');
}

/**
 * The secrets and, for one holding `\` or `"`, its JSON-escaped form: in a JSON body such a secret
 * stands escaped, and its raw form matched from the escaped backslash of `\\` starts after it
 * (escape-bounds ownStart), leaving its first character in clear.
 */
function withJsonForms(secrets: readonly string[]): string[] {
  const forms = secrets.flatMap((s) => (/[\\"]/.test(s) ? [s, JSON.stringify(s).slice(1, -1)] : [s]));
  return [...new Set(forms)];
}

/**
 * Replaces literal occurrences of configured secrets (short values are skipped: they would mask
 * ordinary words). In a JSON text, a match across strings' bounds (a secret holding `"`, also one
 * an upstream concatenated into JSON: `["bad a","b"]` for `a","b`) is masked in each string it
 * touches, the quotes and punctuation kept (json-bare-masks): nothing of the secret but its
 * punctuation stays, and the body stays JSON.
 */
export function scrubSecretValues(text: string, secretValues: readonly string[]): string {
  const raw = secretValues.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  const maskable = withJsonForms(raw);
  return maskable.length === 0 ? text : scrubLiterals(text, maskable, new Set(raw));
}

/**
 * Every occurrence of the forms in the text masked; in a JSON text, a mask outside strings (a PIN
 * as a JSON number) written as a string and one across strings' bounds cut at them
 * (json-bare-masks).
 */
function scrubLiterals(text: string, maskable: readonly string[], raw: ReadonlySet<string>): string {
  if (text.length >= FINDER_FROM_LENGTH) {
    // a text holding none is the answer as it is
    const scanners = scannersOf(maskable);
    return scanners.finder.holds(text) ? maskLongText(text, scanners, raw) : text;
  }
  const present = maskable.filter((secret) => text.includes(secret));
  // the union of every occurrence: one secret's mask must not hide the start of another's
  return present.length === 0 ? text : maskLiterals(text, present, raw);
}
