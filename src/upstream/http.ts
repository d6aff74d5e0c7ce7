import type { Dispatcher } from 'undici';
import { recordUpstreamCall, type HeaderValues, type UpstreamCall } from '../platform/call-recording.js';
import { ExchangeDeadline } from './deadline.js';
import { createHash } from 'node:crypto';
import { noteAsked, noteUpstreamCall } from './attempt-scope.js';
import { transportError, type ErrorFactory } from './errors.js';
import { ReusedParse } from './reused-parse.js';

/**
 * One HTTP exchange with an upstream, recorded as an OpenHIM orchestration through
 * platform/call-recording. No auth, retry or error decoding here (client.ts and auth/ do that);
 * only transport, timeouts and the record, so login calls and ordinary calls are timed and
 * recorded the same way. Credentials never reach a record: credential headers are masked on
 * both sides, and 401 bodies (which echo the refused token) are withheld.
 */
export type Query = Record<string, string | number | boolean | (string | number)[] | undefined>;

export interface RawRequest {
  /** Which upstream (openlmis, dhis2, msupply, openmrs …), for the record and the errors. */
  system: string;
  method: string;
  baseUrl: string;
  path: string;
  query?: Query;
  headers: Record<string, string>;
  /** Already serialised. */
  body?: string;
  /** What to show in the orchestration instead of the body (login forms carry the password). */
  recordedBody?: unknown;
  /** How to show the answer (parsed, and its text) in the orchestration (a token response carries the token). */
  recordResponse?: (body: unknown, text: string) => unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The system's error class for transport failures. */
  makeError?: ErrorFactory;
  /**
   * A 2xx answer byte-identical to this URL's last one gives the same parsed value again,
   * deep-frozen (reused-parse.ts): for pages fetched often and rarely changed, whose callers
   * only read them.
   */
  reuseParsed?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * The query as `application/x-www-form-urlencoded` text, serialised once. Appending to a URL's
 * own searchParams re-serialises the whole query and rewrites the URL's href on every append
 * (WHATWG URL "update steps"), five exchanges per OpenLMIS order (issue 18).
 */
function queryText(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const key of Object.keys(query)) {
    const value = query[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.append(key, String(value));
  }
  return params.toString();
}

function targetUrl(baseUrl: string, path: string, query?: Query): URL {
  const base = baseUrl.replace(/\/+$/, '') + path;
  const text = queryText(query);
  if (!text) return new URL(base);
  // form-encoded text passes the URL parser's query encoding unchanged, so this is the URL the
  // appends made; a path with its own query or fragment keeps the appends' way (they re-encode it)
  if (!path.includes('?') && !path.includes('#')) return new URL(`${base}?${text}`);
  const url = new URL(base);
  for (const [key, value] of new URLSearchParams(text)) url.searchParams.append(key, value);
  return url;
}

export function buildUrl(baseUrl: string, path: string, query?: Query): string {
  return targetUrl(baseUrl, path, query).toString();
}

export function parseBody(text: string, contentType: string | undefined): unknown {
  if (!text) return undefined;
  if (contentType?.includes('json') || /^[[{"]/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Shared by every client: keyed by the whole URL, and only ever answered for the same text. */
const reusedParse = new ReusedParse();

/** The answer's body, parsed again only when it is not the text this URL answered last time. */
function answerBody(req: RawRequest, url: string, status: number, text: string, contentType: string | undefined) {
  if (!req.reuseParsed || status < 200 || status >= 300) return parseBody(text, contentType);
  return reusedParse.parse(url, text, contentType, () => parseBody(text, contentType));
}

export const MASKED = '****';

/**
 * Headers that carry a credential after a scheme. WWW-Authenticate is not among them: its
 * challenge (realm, error) is useful to an operator, and a refused token it echoes is one the
 * redactor knows (every strategy teaches it), so the envelope masks just that token.
 */
const SCHEME_HEADERS = new Set(['authorization', 'proxy-authorization']);
const COOKIE_HEADERS = new Set(['cookie', 'set-cookie']);
/** Headers whose whole value is a credential (static API keys). */
const SECRET_HEADERS = new Set(['x-api-key', 'api-key', 'x-auth-token']);

function maskOne(name: string, value: string): string {
  if (SCHEME_HEADERS.has(name)) return value.replace(/^(\w+)\s.*$/s, `$1 ${MASKED}`);
  // keep cookie names and attributes (Path, HttpOnly), mask every value
  if (COOKIE_HEADERS.has(name))
    return value.replace(/(^|;\s*)([^=;\s]+)=([^;]*)/g, (whole, sep: string, key: string) =>
      /^(path|domain|expires|max-age|samesite)$/i.test(key) ? whole : `${sep}${key}=${MASKED}`,
    );
  if (SECRET_HEADERS.has(name)) return MASKED;
  return value;
}

/** Credential headers masked (Bearer/Basic/ApiToken keep their scheme, cookies their names). */
export function maskedHeaders<H extends HeaderValues>(headers: H): H {
  const out: HeaderValues = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    out[name] =
      typeof value === 'string'
        ? maskOne(key, value)
        : Array.isArray(value)
          ? value.map((v) => maskOne(key, v))
          : value;
  }
  return out as H;
}

/**
 * What the record keeps of an answer: the text as it came (the envelope shows it as is, with no
 * second JSON.stringify of a 100 KB requisition), or what recordResponse makes of the parsed body.
 */
function recordedAnswer(req: RawRequest, status: number, body: unknown, text: string): unknown {
  // 401 bodies echo the refused token (Spring's invalid_token): never record them
  if (status === 401) return '(withheld: 401 bodies echo the token)';
  if (req.recordResponse) return req.recordResponse(body, text);
  return text === '' ? undefined : text;
}

/**
 * Headers masked when somebody reads them (the OpenHIM envelope, a test), once: most records are
 * never turned into an orchestration, and masking every header of five calls per order was ~1 %
 * of an order's CPU (issue 18). The raw headers never leave this closure.
 */
function lazilyMasked(raw: HeaderValues): () => HeaderValues {
  let masked: HeaderValues | undefined;
  return () => (masked ??= maskedHeaders(raw));
}

/**
 * What a request asked (method, path and query, and a digest of its body: a GraphQL operation
 * and its variables), made once and only when an answer of another shape asks (attempt-scope.ts
 * noteAsked): the same lookup asked by two jobs is one key, whatever job asked it.
 */
function askedKey(method: string, target: URL, body?: string): () => string {
  let key: string | undefined;
  return () =>
    (key ??= `${method} ${target.pathname}${target.search}${
      body ? ` #${createHash('sha256').update(body).digest('base64url').slice(0, 22)}` : ''
    }`);
}

export async function exchange(dispatcher: Dispatcher, req: RawRequest): Promise<RawResponse> {
  noteUpstreamCall(req.system);
  const target = targetUrl(req.baseUrl, req.path, req.query);
  const url = target.toString();
  const startedAt = new Date();
  // one deadline for the whole exchange (connect + headers + body), joined with the caller's signal
  const deadline = new ExchangeDeadline(req.timeoutMs, req.signal);
  const requestHeaders = lazilyMasked(req.headers);
  const recordOf = (ending: Pick<UpstreamCall, 'response' | 'error'>): UpstreamCall => ({
    system: req.system,
    name: `${req.system} ${req.method} ${req.path}`,
    method: req.method,
    url,
    get requestHeaders() {
      return requestHeaders();
    },
    requestBody: req.recordedBody ?? req.body,
    startedAt,
    endedAt: new Date(),
    ...ending,
  });
  try {
    // the dispatcher's own request(): undici's top-level request() would parse the URL again
    // (undici index.js makeDispatcher), and this one is already parsed
    const res = await dispatcher.request({
      origin: target.origin,
      path: target.search ? `${target.pathname}${target.search}` : target.pathname,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      signal: deadline,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const text = await res.body.text();
    const contentType = res.headers['content-type'];
    const body = answerBody(req, url, res.statusCode, text, Array.isArray(contentType) ? contentType[0] : contentType);
    const responseHeaders = lazilyMasked(res.headers);
    recordUpstreamCall(
      recordOf({
        response: {
          status: res.statusCode,
          get headers() {
            return responseHeaders();
          },
          body: recordedAnswer(req, res.statusCode, body, text),
        },
      }),
    );
    noteAsked(req.system, askedKey(req.method, target, req.body));
    return { status: res.statusCode, headers: res.headers, body };
  } catch (err) {
    if (req.signal?.aborted) throw err; // the caller gave up: not an upstream failure
    const cause = deadline.timedOut ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : err;
    const decoded = transportError(req.system, cause, req.method, req.path, req.timeoutMs, req.makeError);
    recordUpstreamCall(
      recordOf({
        error: { message: decoded.issues[0].diagnostics ?? decoded.message, code: (err as { code?: string }).code },
      }),
    );
    throw decoded;
  } finally {
    deadline.end();
  }
}
