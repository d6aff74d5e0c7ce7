/**
 * The one redaction point: every configured secret, in every form it can travel in, is masked in
 * everything the mediator emits (responses, OpenHIM envelopes and transaction updates, logs,
 * metrics, admin views, stored error text). Emitters call `redactor.redact()` at the last step
 * before bytes leave, so a new code path that echoes an upstream's error body is covered without
 * knowing about secrets.
 *
 * A secret is never forgotten once learned: after a live change from the OpenHIM console the
 * previous value is still masked (an upstream, a log line or a stored job may still carry it).
 */
import type { Settings } from '../config/settings.js';
import { secretKeys, settingDefs } from '../config/settings.js';
import { ownStart, widenToEscapes } from './escape-bounds.js';
import { FormAutomaton, MAX_TABLE_CELLS, type FormScanner } from './form-automaton.js';
import { escapeRegExp } from './escape-regexp.js';
import { FormFinder } from './form-finder.js';
import { maskSpansInJson } from './json-bare-masks.js';
import { patternSpans, SpanUnion, type Span } from './mask-spans.js';
import { isOwnWord } from './own-words.js';
import { formScanner } from './sparse-form-automaton.js';

export const MASK = '**********';

/** Shorter secrets are not masked: they would blank ordinary words and digits everywhere. */
export const MIN_SECRET_LENGTH = 4;
/** Texts shorter than this are masked by a regex search per match, longer ones by an automaton (linear). */
const SEARCHED_PER_MATCH_BELOW = 512;

/** A shifted base64 core shorter than this would match unrelated base64 text. */
const MIN_BASE64_CORE = 8;

/**
 * Settings that form an HTTP Basic pair (`user:secret`, base64-encoded on the wire and echoed back
 * that way by servers that repeat the Authorization header they refused).
 */
export const BASIC_PAIRS: readonly (readonly [user: string, secret: string])[] = [
  ['auth.username', 'auth.password'],
  ['openhim.username', 'openhim.password'],
  ['openlmis.username', 'openlmis.password'],
  ['openlmis.clientId', 'openlmis.clientSecret'],
  ['dhis2.username', 'dhis2.password'],
  ['msupply.username', 'msupply.password'],
  ['openmrs.username', 'openmrs.password'],
];

/**
 * Base64 text as it appears in a URL or a form: `+`, `/` and `=` percent-encoded (a Basic header
 * repeated in a login page's redirect Location, `?from=…`). Only the forms that change.
 */
function urlEncodedBase64(forms: string[]): string[] {
  return forms.filter((f) => /[+/=]/.test(f)).flatMap((f) => urlEncoded(f));
}

function base64Forms(bytes: Buffer): string[] {
  const std = bytes.toString('base64');
  const forms = [std, std.replace(/=+$/, ''), bytes.toString('base64url')];
  return [...forms, ...urlEncodedBase64(forms)];
}

/**
 * The base64 text that any encoding of `…secret…` contains, whatever precedes the secret: base64
 * works on 3-byte groups, so for each of the three alignments the groups made only of the
 * secret's bytes encode to the same characters (e.g. `anyuser:secret` in a Basic header).
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const rest = bytes.subarray(shift);
    const whole = rest.subarray(0, rest.length - (rest.length % 3));
    if (whole.length === 0) continue;
    const std = whole.toString('base64');
    if (std.length >= MIN_BASE64_CORE) cores.push(std, whole.toString('base64url'));
  }
  return [...cores, ...urlEncodedBase64(cores)];
}

/** A text as it stands inside a JSON string (escaped once, without the quotes). */
const jsonStringBody = (text: string) => JSON.stringify(text).slice(1, -1);

/** A character as a JSON `\uXXXX` escape, in lower-case hex (most serialisers) or upper (.NET, Jackson). */
const unicodeEscape = (c: string, upper = false) => {
  const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
  return `\\u${upper ? hex.toUpperCase() : hex}`;
};

const asciiEscaped = (text: string, upper = false) => text.replace(/[\u0080-\uffff]/g, (c) => unicodeEscape(c, upper));

/**
 * A text inside a JSON string as serialisers write it: JSON.stringify's, `/` as `\/` (some Java),
 * non-ASCII as `\uXXXX` (Python's json.dumps), and both (PHP's json_encode, by default); the
 * HTML-safe escapes of `<>&` (Go's encoding/json), of `<>&='` too (Gson's default), and .NET's
 * System.Text.Json default (those and `+` and a backtick, `"` as `\u0022`, non-ASCII, upper-case
 * hex), and non-ASCII in upper-case hex (Jackson's ESCAPE_NON_ASCII). Only a secret holding such a
 * character gets a form more.
 */
function jsonVariants(text: string): string[] {
  const once = jsonStringBody(text);
  const slashes = once.replace(/\//g, '\\/');
  const go = once.replace(/[<>&\u2028\u2029]/g, (c) => unicodeEscape(c));
  const gson = once.replace(/[<>&=']/g, (c) => unicodeEscape(c));
  const dotnet = asciiEscaped(
    once.replace(/\\"/g, '\\u0022').replace(/[<>&'+`]/g, (c) => unicodeEscape(c, true)),
    true,
  );
  return [once, slashes, asciiEscaped(once), asciiEscaped(slashes), go, gson, dotnet, asciiEscaped(once, true)];
}

/** JSON string escaping in its variants, and twice (a JSON body carried as a string in an envelope). */
function jsonEscaped(text: string): string[] {
  const variants = jsonVariants(text);
  return [...variants, jsonStringBody(variants[0])];
}

/** The forms with their percent escapes in lower case too, as some clients write them. */
function withLowerHex(forms: string[]): string[] {
  return [...forms, ...forms.map((f) => f.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()))];
}

/** A lone surrogate (a `\ud800` escape in a JSON settings file) as URL and form encoders write it: U+FFFD. */
const wellFormed = (text: string) => text.replace(/[\ud800-\udfff]/gu, '\ufffd');

/**
 * Percent-encoding of every reserved character, as browsers and servers write a query value or a
 * form field; encodeURIComponent would throw on a lone surrogate and the settings fail to load.
 */
function urlEncoded(text: string): string[] {
  const forms = [encodeURIComponent(wellFormed(text)), new URLSearchParams({ s: text }).toString().slice(2)]; // form: space as +
  return withLowerHex(forms);
}

/** What a URL parser percent-encodes in a query (WHATWG's special-query set): the rest stays. */
// eslint-disable-next-line no-control-regex -- the C0 controls are in the set
const URL_QUERY_ENCODED = /[\u0000-\u0020"#<>'\u007f-\u{10ffff}]/gu;

/** Each UTF-8 byte of a character as `%XX` (encodeURIComponent would keep `'`). */
const percentEncodedBytes = (c: string) => Buffer.from(c, 'utf8').toString('hex').toUpperCase().replace(/../g, '%$&');

/**
 * Percent-encoding of only some characters: a secret concatenated into a URL (a redirect Location,
 * a query string) that a URL parser then normalises (fetch, undici, WHATWG URL: space, quotes,
 * `<>` and non-ASCII encoded, `&=+;/?` kept), or that encodeURI encoded.
 */
function partlyUrlEncoded(text: string): string[] {
  const whole = wellFormed(text);
  const parsed = whole.replace(URL_QUERY_ENCODED, percentEncodedBytes);
  return withLowerHex([encodeURI(whole), parsed]);
}

/**
 * Percent-encoding twice: a URL that carried the secret in its query, itself carried in another
 * URL's query (a login page's redirect `?from=<the refused URL>`). Only when once changed it.
 */
function urlEncodedTwice(text: string): string[] {
  return urlEncoded(text)
    .filter((once) => once !== text)
    .flatMap((once) => urlEncoded(once));
}

/**
 * A JSON body (in each serialiser's escaping) percent-encoded into a URL: a login page's `?from=`
 * repeating the login's body, wholly or partly encoded.
 */
function urlEncodedJson(text: string): string[] {
  return jsonVariants(text)
    .filter((variant) => variant !== text)
    .flatMap((variant) => [...urlEncoded(variant), ...partlyUrlEncoded(variant)]);
}

/** Every text form a secret takes on the wire, in a URL, in a form, in JSON and in Basic auth. */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [
    secret,
    ...jsonEscaped(secret),
    ...urlEncoded(secret),
    ...partlyUrlEncoded(secret),
    ...urlEncodedTwice(secret),
    ...urlEncodedJson(secret),
    ...base64Forms(bytes),
    ...base64Cores(bytes),
  ];
  return forms;
}

/** The forms of a Basic pair; the raw `user:secret` already contains the secret itself. */
export function basicPairForms(user: string, secret: string): string[] {
  return base64Forms(Buffer.from(`${user}:${secret}`, 'utf8'));
}

// A credential after an auth scheme in any text (an upstream repeating the header it refused, a
// runtime access token the settings never held). A `realm="…"` parameter is not a credential.
const SCHEME_CREDENTIAL = /\b(Bearer|Basic)(\s+)(?![A-Za-z][\w-]*\s*=\s*")([A-Za-z0-9\-._~+/]{8,}=*)/gi;
/**
 * The same, for a yes/no question asked first (a non-global regex keeps no state between calls).
 * Nearly every text redacted (a log line, an envelope, a FHIR answer) holds no credential: a
 * replace() with a global regex enters the runtime and gathers its matches there even when there
 * are none, where test() stays on the regex engine's fast path (issue 18).
 */
const HAS_SCHEME_CREDENTIAL = new RegExp(SCHEME_CREDENTIAL.source, 'i');
/**
 * A scheme's name and the blank after it, which every match of SCHEME_CREDENTIAL holds (the
 * same letters under the same flag, then `\s`): a text without one holds no credential after a
 * scheme. Asked first because the regex engine skips through a text for a plain word about three
 * times as fast as for the word boundary, look-ahead and token of the full pattern (an
 * 850-character FHIR answer: 146 ns against 494), and nearly every text has none (issue 18).
 */
const HAS_SCHEME_WORD = /b(?:earer|asic)\s/i;

/** A token68 rather than prose ("Basic authentication."): a digit, a symbol or an inner capital. */
function looksLikeCredential(token: string): boolean {
  const core = token.replace(/\.+$/, '');
  return core.length >= 8 && (/[0-9\-_~+/=.]/.test(core) || /[A-Z]/.test(core.slice(1)));
}

function maskSchemeCredentials(text: string): string {
  if (!HAS_SCHEME_WORD.test(text) || !HAS_SCHEME_CREDENTIAL.test(text)) return text;
  return text.replace(SCHEME_CREDENTIAL, (whole, scheme: string, space: string, token: string) => {
    if (!looksLikeCredential(token)) return whole;
    const trailingDots = /\.*$/.exec(token)![0];
    return `${scheme}${space}${MASK}${trailingDots}`;
  });
}

/**
 * The password of a `scheme://user:password@host` in any text: an upstream's error may quote a
 * connection string of its own (a JDBC URL, a proxy), a credential no setting taught us. The user
 * and host stay, so the error still says where it failed. No quote, space or `<>` inside a match,
 * so a match never crosses a JSON string's bounds (see hasFormWithQuote).
 */
const URL_PASSWORD = /:\/\/([^\s:/?#@"'<>]*):[^\s/?#@"'<>]+@/g;
/** The same, for a yes/no question (a global regex keeps state between test() calls). */
const HAS_URL_PASSWORD = new RegExp(URL_PASSWORD.source);

// Anchored on the literal `://` (not the scheme before it), which the regex engine finds by a fast
// scan: a megabyte of FHIR JSON, full of https:// links, is masked in about the time it took before.
function maskUrlPasswords(text: string): string {
  return text.includes('@') ? text.replace(URL_PASSWORD, (_whole, user: string) => `://${user}:${MASK}@`) : text;
}

const hasUrlPassword = (text: string) => text.includes('@') && HAS_URL_PASSWORD.test(text);

function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What is new to warn about: a setting reported once with a value is not reported again with it
 * (OpenHIM's first heartbeat applies the console's settings, the same values, right after start).
 */
export interface LearnReport {
  /** Setting keys whose value was too short to mask (their values are never reported). */
  tooShort: string[];
  /** Setting keys whose value is a word of the mediator's own output (masked wherever it is used). */
  ownWords: string[];
}

/** How many credentials learnt at run time (access tokens) stay masked: the newest ones. */
export const EPHEMERAL_LIMIT = 16;

export class Redactor {
  private readonly secrets = new Set<string>();
  private readonly forms = new Set<string>();
  /** Access tokens issued to us at run time, newest last; bounded, as a token is replaced every login. */
  private readonly ephemeral: string[] = [];
  private pattern: RegExp | undefined;
  /**
   * Whether a text holds a known form at all, asked before `pattern` replaces (see
   * HAS_SCHEME_CREDENTIAL): a skipping scan, about twice as fast as the alternation's test.
   */
  private finder: FormFinder | undefined;
  /** Where the forms are in a text that holds one, in one pass; built on first use (see maskForms). */
  private automaton: FormScanner | 'unbuilt' = 'unbuilt';
  /** Told once that the forms passed the automaton's table cap (see onTableCap). */
  private tableCapListener: ((forms: number) => void) | undefined;
  private tableCapTold = false;
  private formWithQuote = false;
  private rebuilds = 0;
  /** (setting, value) pairs learnSettings has reported: the same value applied again is not news. */
  private readonly reported = new Set<string>();

  /**
   * Changes whenever what redact() does changes (a secret or a token learnt): text redacted under
   * one generation may be reused while the generation is the same, and never after.
   */
  get generation(): number {
    return this.rebuilds;
  }

  /**
   * Whether a known form contains `"`. When none does, no match can cross a `"` (a Bearer/Basic
   * credential never holds one either), so the JSON string values of a text can be redacted apart
   * from the text around them, with the same result as one pass over the whole.
   */
  get hasFormWithQuote(): boolean {
    return this.formWithQuote;
  }

  /** Learns one secret value (and its forms); false when it is too short to mask. */
  learn(secret: string): boolean {
    if (secret.length < MIN_SECRET_LENGTH) return false;
    if (this.secrets.has(secret)) return true;
    this.secrets.add(secret);
    this.addForms(secretForms(secret));
    return true;
  }

  /**
   * Learns a credential an upstream issued at run time (an OAuth2 access token): an upstream may
   * echo it in an error body like any configured secret. Only the newest EPHEMERAL_LIMIT stay,
   * since a long-running process logs in again and again and older tokens have expired.
   */
  learnEphemeral(token: string): void {
    if (token.length < MIN_SECRET_LENGTH || this.ephemeral.includes(token) || this.secrets.has(token)) return;
    this.ephemeral.push(token);
    if (this.ephemeral.length > EPHEMERAL_LIMIT) this.ephemeral.shift();
    this.rebuild();
  }

  /** Learns every secret setting and every Basic pair the settings form. Previous values stay. */
  learnSettings(settings: Settings): LearnReport {
    const tooShort: string[] = [];
    const ownWords: string[] = [];
    for (const key of secretKeys()) {
      const value = settings[key];
      if (typeof value !== 'string' || value === '') continue;
      if (!this.learn(value)) {
        if (this.firstReport(key, value)) tooShort.push(key);
      } else if (isOwnWord(value) && this.firstReport(key, value)) ownWords.push(key);
      // a secret URL (postgres://user:pw@host/db): its password travels alone too (driver errors)
      const password = urlPassword(value);
      const passwordKey = `${key} (its password)`;
      if (password && !this.learn(password) && this.firstReport(passwordKey, password)) tooShort.push(passwordKey);
    }
    for (const [userKey, secretKey] of BASIC_PAIRS) {
      const user = settings[userKey];
      const secret = settings[secretKey];
      if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue;
      this.addForms(basicPairForms(typeof user === 'string' ? user : '', secret));
    }
    return { tooShort, ownWords };
  }

  /** Whether `key` with `value` is reported for the first time (it is remembered as reported). */
  private firstReport(key: string, value: string): boolean {
    const pair = `${key}\u0000${value}`;
    if (this.reported.has(pair)) return false;
    this.reported.add(pair);
    return true;
  }

  /** How many secret values are known (for tests and a start-up log line; never the values). */
  get size(): number {
    return this.secrets.size;
  }

  /** Every form masked, longest first (for callers that scrub by literal, e.g. OpenHIM masking). */
  knownForms(): string[] {
    const ephemeral = this.ephemeral.flatMap((t) => secretForms(t)).filter((f) => f.length >= MIN_SECRET_LENGTH);
    return [...new Set([...this.forms, ...ephemeral])].sort((a, b) => b.length - a.length);
  }

  /**
   * The text with every known secret form, any credential after Bearer/Basic and the password of
   * any URL's `user:password@`, masked.
   */
  redact(text: string): string {
    const out = maskUrlPasswords(maskSchemeCredentials(text));
    return this.pattern && this.finder!.holds(out) ? this.maskForms(out) : out;
  }

  /**
   * Every known form masked as the union of all its matches (see mask-spans), each widened so that
   * no JSON escape is cut (see escape-bounds), one outside JSON strings as a string (json-bare-masks). The automaton reads the text once, however many
   * matches overlap: its table, or past the table's cap the sparse automaton, slower per
   * character but linear too (a regex search per match cost a search per character of a run).
   */
  private maskForms(text: string): string {
    const widen = (span: Span) => widenToEscapes(text, span);
    // a short text (a log line) is searched per match: it holds few, and the automaton's walk from
    // each costs more there (1.7-2x on a 200-character line), its table built at the first use
    if (text.length < SEARCHED_PER_MATCH_BELOW) {
      const spans = patternSpans(text, this.pattern!).map(([start, end]): Span => [
        this.matchStart(text, start, end),
        end,
      ]);
      return maskSpansInJson(text, spans.map(widen), MASK, 'whole');
    }
    const automaton = this.formAutomaton();
    const union = new SpanUnion();
    // each span's own start before the union: a span that starts on an escaped backslash
    // does not join one ending there
    automaton.scan(text, (start, end) => union.add(this.matchStart(text, start, end), end));
    return maskSpansInJson(text, union.spans(widen), MASK, 'whole');
  }

  /**
   * Where a match starts in the text's own terms (escape-bounds ownStart), except for a secret as
   * given (or a token) starting with `\` matched at the escaped backslash of `\\`: that backslash
   * is the secret's first character, the string's last when the rest crosses its closing quote
   * (`\":{` in `{"n1\\":{`), and the whole escape is masked with it, as OpenHIM masking does; else
   * every character of such a secret stood in clear.
   */
  private matchStart(text: string, start: number, end: number): number {
    const own = ownStart(text, start);
    if (own === start) return own;
    const match = text.slice(start, end);
    return this.secrets.has(match) || this.ephemeral.includes(match) ? start - 1 : own;
  }

  private formAutomaton(): FormScanner {
    if (this.automaton === 'unbuilt') this.automaton = formScanner(this.knownForms());
    return this.automaton;
  }

  /**
   * `listener` is told, once, when the known forms pass the automaton's table cap (its count of
   * forms, never a form): long texts are then masked by the sparse automaton, linear but slower,
   * which an operator seeing slower masking should know of.
   */
  onTableCap(listener: (forms: number) => void): void {
    this.tableCapListener = listener;
    if (!this.tableCapTold) this.tellTableCap(this.knownForms());
  }

  private tellTableCap(forms: readonly string[]): void {
    if (this.tableCapTold || !this.tableCapListener || forms.length === 0 || FormAutomaton.fits(forms)) return;
    this.tableCapTold = true;
    this.tableCapListener(forms.length);
  }

  /** True when the text carries a known secret form (a cheap check before rebuilding a body). */
  leaks(text: string): boolean {
    return (
      (this.finder !== undefined && this.finder.holds(text)) ||
      maskSchemeCredentials(text) !== text ||
      hasUrlPassword(text)
    );
  }

  /** Strings anywhere in a JSON-like value (keys included) redacted; other values kept. */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.redact(k)] = this.redactValue(v);
      return out as T;
    }
    return value;
  }

  private addForms(forms: string[]): void {
    let added = false;
    for (const form of forms) {
      if (form.length < MIN_SECRET_LENGTH || this.forms.has(form)) continue;
      this.forms.add(form);
      added = true;
    }
    if (added) this.rebuild();
  }

  private rebuild(): void {
    // Longest first: alternation takes the first alternative that matches at a position.
    const forms = this.knownForms();
    this.pattern = forms.length ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : undefined;
    this.finder = forms.length ? new FormFinder(forms) : undefined;
    this.automaton = 'unbuilt';
    this.formWithQuote = forms.some((form) => form.includes('"'));
    this.rebuilds += 1;
    this.tellTableCap(forms);
  }
}

/**
 * The process's redactor: a mediator process has one configuration, and the emitters (log
 * stream, response hook, OpenHIM client, outbox error text) share it. startMediator teaches it
 * the settings at start and after every live change.
 */
export const processRedactor = new Redactor();

/** Learns the settings into the process redactor; warns (by setting key only) about short secrets. */
export function learnSecrets(
  settings: Settings,
  log?: { warn(obj: object, msg?: string): void },
  redactor: Redactor = processRedactor,
): void {
  if (log) {
    redactor.onTableCap((forms) =>
      log.warn(
        { forms, maxTableCells: MAX_TABLE_CELLS },
        "the secrets' forms pass the redaction table's cap: long texts are masked by a slower scan (still linear)",
      ),
    );
  }
  const { tooShort, ownWords } = redactor.learnSettings(settings);
  if (tooShort.length > 0) {
    log?.warn(
      { settings: tooShort, minLength: MIN_SECRET_LENGTH },
      'secret settings too short to be masked in logs and responses; use longer values',
    );
  }
  if (ownWords.length > 0) {
    // named by environment variable: the setting's name holds the word (openlmis.password), and
    // the log line is masked like any other, so the name itself would come out masked
    log?.warn(
      { settings: ownWords.map((key) => settingDefs.find((d) => d.key === key)?.env ?? key) },
      "secret settings equal to a word of the mediator's own output: that word is masked wherever it appears in logs and responses; use other values",
    );
  }
}

/** Shorthand for the process redactor. */
export function redact(text: string): string {
  return processRedactor.redact(text);
}
