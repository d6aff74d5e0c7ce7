import { UpstreamError, type IssueType } from '../domain/errors.js';
import { askedOfAttempt } from './attempt-scope.js';
import { reportedWhileConnecting } from './connect-phase.js';

/**
 * Upstream failures decoded into the mediator's one `UpstreamError` (domain/errors.ts): the HTTP
 * status, the upstream's reason and whether retrying can help. What differs per system is only the
 * shape of the reason in an error body (Spring's messageKey, DHIS2's importSummaries, a GraphQL
 * union error…), so each connector passes a `ReasonDecoder`; the status rules live here once.
 */

/** The reason an upstream gave: a machine code (messageKey, OAuth error, __typename) and words. */
export interface UpstreamReason {
  code?: string;
  message?: string;
}

/** The per-system hook: what reason an error body gives, whatever its shape. */
export type ReasonDecoder = (body: unknown, status: number) => UpstreamReason;

export class UpstreamCallError extends UpstreamError {
  /** The upstream's machine-readable reason code, when it sent one. */
  readonly reasonCode?: string;
  /** The upstream's words, when it sent some (never for 401: those bodies echo the credential). */
  readonly upstreamMessage?: string;
  constructor(opts: ConstructorParameters<typeof UpstreamError>[0] & { reason?: UpstreamReason }) {
    super(opts);
    this.name = 'UpstreamCallError';
    this.reasonCode = opts.reason?.code;
    this.upstreamMessage = opts.reason?.message;
  }
}

export type UpstreamErrorOptions = ConstructorParameters<typeof UpstreamCallError>[0];

/** Builds the system's error (a subclass of UpstreamCallError, e.g. LmisError). */
export type ErrorFactory = (opts: UpstreamErrorOptions) => UpstreamError;

export const defaultErrorFactory: ErrorFactory = (opts) => new UpstreamCallError(opts);

export function asRecord(body: unknown): Record<string, unknown> | undefined {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/**
 * A short plain-text body is a reason; long dumps are not. An HTML page (a proxy's or server's
 * error page) gives its title at most ("503 Service Temporarily Unavailable"): its markup, server
 * banner and hidden form fields (a session, a CSRF token) are never quoted.
 */
export function textReason(body: unknown): UpstreamReason {
  if (typeof body !== 'string' || !body.trim()) return {};
  if (/^\s*</.test(body) || /<html[\s>]/i.test(body)) {
    const title = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(body)?.[1]?.replace(/\s+/g, ' ').trim();
    return title ? { message: title } : {};
  }
  return body.length < 500 ? { message: body.trim() } : {};
}

/**
 * A 3xx answer to an API call: the transport follows no redirects, and an API that moved or a
 * single sign-on in front of it (a redirect to its login page) will answer the same again, so it
 * is permanent and names where it points (origin and path only: a query may carry a session or a
 * return token) and the setting to check. The page that comes with it is not quoted.
 */
export function redirectError(opts: {
  system: string;
  method: string;
  path: string;
  status: number;
  location: string | string[] | undefined;
  make?: ErrorFactory;
}): UpstreamError {
  const raw = Array.isArray(opts.location) ? opts.location[0] : opts.location;
  let where = 'nowhere it says';
  try {
    if (raw) {
      const url = new URL(raw, 'http://upstream.invalid');
      where = url.origin === 'http://upstream.invalid' ? url.pathname : `${url.origin}${url.pathname}`;
    }
  } catch {
    where = 'an unreadable Location';
  }
  return (opts.make ?? defaultErrorFactory)({
    system: opts.system,
    transient: false,
    upstreamStatus: opts.status,
    status: 502,
    code: 'exception',
    diagnostics:
      `${opts.method} ${opts.path} answered ${opts.status}, a redirect to ${where} (a login page in front of the API?): ` +
      `check ${opts.system}.baseUrl and any proxy or single sign-on in front of it`,
  });
}

export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

const STATUS_FOR: Record<number, { status: number; code: IssueType }> = {
  400: { status: 422, code: 'business-rule' },
  403: { status: 502, code: 'forbidden' },
  404: { status: 404, code: 'not-found' },
  409: { status: 409, code: 'conflict' },
  412: { status: 412, code: 'conflict' },
  // the request was too large for the upstream (e.g. nginx client_max_body_size): resending it
  // can never succeed, so this is the client's problem (422), not a transient 502
  413: { status: 422, code: 'too-costly' },
  422: { status: 422, code: 'business-rule' },
};

export interface DecodeContext {
  system: string;
  method: string;
  path: string;
  reasonOf: ReasonDecoder;
  /** Words added to the diagnostics for a status (what to check in the settings). */
  hints?: Partial<Record<number, string>>;
  make?: ErrorFactory;
}

/**
 * An HTTP error answer → UpstreamError: transient for 5xx/429/408 and for a 401 that survived a
 * fresh login (credentials may be changed live), else permanent with the upstream reason. A 401
 * body echoes the refused credential, so only its code is kept.
 */
export function decodeHttpError(status: number, body: unknown, ctx: DecodeContext): UpstreamError {
  const transient = isTransientStatus(status);
  const decoded = ctx.reasonOf(body, status);
  const reason: UpstreamReason = status === 401 ? { code: decoded.code } : decoded;
  const what = [reason.code, reason.message].filter(Boolean).join(': ') || `HTTP ${status}`;
  const mapped = STATUS_FOR[status] ?? {
    status: 502,
    code: transient ? ('transient' as const) : ('exception' as const),
  };
  return (ctx.make ?? defaultErrorFactory)({
    system: ctx.system,
    transient: transient || status === 401,
    upstreamStatus: status,
    status: transient || status === 401 ? 502 : mapped.status,
    code: transient ? 'transient' : status === 401 ? 'login' : mapped.code,
    diagnostics: `${ctx.method} ${ctx.path} answered ${status} ${what}${ctx.hints?.[status] ?? ''}`,
    reason,
  });
}

/**
 * Errors raised only while connecting, before the request is written: refused, no such host (or
 * DNS not answering), no route, the connect timeout. A reset, a socket closed or any other error
 * may come after bytes went out, so it is never taken as not sent (nor a TLS refusal by the
 * server: CERTIFICATE_REFUSED). The errno codes count only from
 * the system call that connects or resolves: the kernel reports an ICMP error (host or network
 * unreachable, even a port refused) on a connection already open once it gives up retransmitting,
 * and undici hands that to the request as is, though the server may have read it all.
 */
const CONNECT_PHASE_CALLS = new Map([
  ['ECONNREFUSED', 'connect'],
  ['ENETUNREACH', 'connect'],
  ['EHOSTUNREACH', 'connect'],
  ['ENOTFOUND', 'getaddrinfo'],
  ['EAI_AGAIN', 'getaddrinfo'],
]);

/**
 * The server's certificate refused by this side (Node's verification codes), counted only when
 * undici's connector reported it (reportedWhileConnecting): undici writes a request only once the
 * connection is secure, so none went out. Node verifies again at each TLS 1.2 renegotiation, which
 * a server may start after reading the request (a client certificate wanted for one path), with
 * the same codes: then the request may have been read and applied. A refusal by the server (an alert, a client certificate it wants; under TLS 1.3
 * that comes after the client has finished and may have written) is not among them: it reaches
 * undici as an alert code or a socket closed, with nothing saying when, so it stays "may have".
 */
const CERTIFICATE_REFUSED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Did `err` (what undici threw) certainly come before the request was written? */
export function connectPhaseFailure(err: unknown): boolean {
  // Node tries each address of a name in turn (happy eyeballs): all of them failed while connecting
  if (err instanceof AggregateError) return err.errors.length > 0 && err.errors.every(connectPhaseFailure);
  const e = err as { code?: unknown; syscall?: unknown } | undefined;
  if (e?.code === 'UND_ERR_CONNECT_TIMEOUT') return true;
  if (typeof e?.code === 'string' && CERTIFICATE_REFUSED.has(e.code)) return reportedWhileConnecting(err);
  return typeof e?.code === 'string' && e.syscall !== undefined && CONNECT_PHASE_CALLS.get(e.code) === e.syscall;
}

/** A failure without an HTTP answer (timeout, reset, refused): always transient. */
export function transportError(
  system: string,
  err: unknown,
  method: string,
  path: string,
  timeoutMs: number,
  make: ErrorFactory = defaultErrorFactory,
): UpstreamError {
  const e = err as { name?: string; code?: string; message?: string };
  const timedOut =
    e?.name === 'TimeoutError' ||
    e?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e?.code === 'UND_ERR_BODY_TIMEOUT' ||
    e?.code === 'UND_ERR_CONNECT_TIMEOUT';
  return make({
    system,
    transient: true,
    neverSent: connectPhaseFailure(err),
    code: timedOut ? 'timeout' : 'transient',
    diagnostics: timedOut
      ? `${method} ${path} did not answer within ${timeoutMs} ms`
      : `${method} ${path} failed: ${e?.code ?? e?.name ?? 'error'} ${e?.message ?? ''}`.trim(),
  });
}

/**
 * A write answered 2xx without what the write needs (the uuid it made, the status it reached, an
 * import summary, GraphQL `data`): a proxy's login page in place of the JSON, a body cut short.
 * Whether the upstream applied the write is unknown, as after a dropped connection, and the
 * client's input is not at fault: transient, so the write's retry looks before writing again.
 */
export function unknownWriteOutcome<E extends UpstreamError>(opts: {
  system: string;
  diagnostics: string;
  make: (opts: UpstreamErrorOptions) => E;
  /** The 2xx status, where the caller has it. */
  upstreamStatus?: number;
}): E {
  const { system, diagnostics, make, upstreamStatus } = opts;
  return make({ system, transient: true, status: 502, code: 'transient', upstreamStatus, diagnostics });
}

/**
 * A 2xx answer of another shape than the API promises (a list without its items, a page without
 * its events, GraphQL `data` without the field asked for), or a pager that never ends: the
 * upstream's (or a gateway's) fault, never the client's. A 502 naming the operation, with `code`
 * kept informative ('exception', or 'too-costly' past the paging limit), and transient: a write
 * already accepted (202) that meets it mid-write is retried with backoff, its steps looking
 * before they write again, and ends as a dead letter an operator sees when attempts run out,
 * never rejected as if its input were at fault (possibly half applied). Asking again may well get
 * the same; the cost of that is bounded: a read's own retry asks at most `retries` more times
 * (client.ts), a write at most `outbox.maxAttempts`, each within `outbox.attemptTimeoutMs`.
 * Marked `otherShape`: a retry needs no settling wait (the server answered), and it does not count
 * toward the system's breaker while one request is answered so, however many writes ask it (one
 * poisoned endpoint or record must not hold back every write); different writes meeting it on
 * different requests with no success between do, as a gateway answering every request so is the
 * system down (outbox/other-shape-streak.ts). What was asked is kept for that (askedOf).
 */
export function malformedAnswer(
  system: string,
  diagnostics: string,
  make: ErrorFactory = defaultErrorFactory,
  code: IssueType = 'exception',
): UpstreamError {
  const err = make({ system, transient: true, otherShape: true, status: 502, code, diagnostics });
  asked.set(err, askedOfAttempt(system) ?? diagnostics);
  return err;
}

/** The request each answer of another shape answered (malformedAnswer), for askedOf. */
const asked = new WeakMap<object, string>();
let unasked = 0;

/**
 * `err` (malformedAnswer) is not the system's word on what was asked: an answer without even its
 * protocol's envelope (GraphQL's `data` or `errors`), as a gateway's `{"message":"maintenance"}`
 * answers any request. Every write begins with the same request (Open mSupply's store list), so
 * keyed by it, a gateway's answers would look like one poisoned request: each such answer is
 * keyed as a request of its own instead, and two jobs meeting them are the system's.
 */
export function answeredWhateverAsked<E extends UpstreamError>(err: E): E {
  asked.set(err, `${err.message} (answer ${++unasked}, whatever was asked)`);
  return err;
}

/**
 * What was asked when an answer of another shape came (malformedAnswer): the request the system
 * last answered in the attempt (attempt-scope.ts askedOfAttempt: method, path, query, body
 * digest), or, outside an attempt, what the error says. The breaker counts such answers as the
 * system's only when different jobs met them on different requests (outbox/other-shape-streak.ts).
 */
export function askedOf(err: UpstreamError): string {
  return asked.get(err) ?? err.message;
}
