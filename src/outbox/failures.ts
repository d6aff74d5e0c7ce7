import { MediatorError, isTransient } from '../domain/errors.js';
import { AttemptTimeoutError } from './errors.js';

/**
 * What a failed delivery attempt means for its job:
 * - `transient`: the upstream, the network or our database failed for now; retried with backoff.
 * - `refused`: a MediatorError that is not transient (the upstream's 4xx, a business rule); the
 *   job is rejected and the client gets that error.
 * - `internal`: anything else, a bug of ours (TypeError, ReferenceError, RangeError, SyntaxError,
 *   an unexpected throw). Retrying cannot fix it, so it fails the job once, visibly (dead letter,
 *   error log with the stack, audit), replayable by an operator after the fix.
 */
export type FailureKind = 'transient' | 'refused' | 'internal';

export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof MediatorError) return isTransient(err) ? 'transient' : 'refused';
  return causes(err).some((e) => isTransportFailure(e) || isStoreUnavailable(e)) ? 'transient' : 'internal';
}

export function isTransientFailure(err: unknown): boolean {
  return classifyFailure(err) === 'transient';
}

/**
 * Whether a failure counts toward the system's circuit breaker: only the system (or the way to
 * it) failing. A refusal means the system is healthy; a bug of ours or our database being away
 * says nothing about the system, and must not stall every other write to it.
 */
export function countsAgainstSystem(err: unknown): boolean {
  return isTransientFailure(err) && !causes(err).some(isStoreUnavailable) && !waitsForOwnWrite(err);
}

/**
 * A connector that waits for another write of ours (a lock, an initiate whose outcome is not yet
 * known) says so with a `lock-error` issue: the system is fine, and the other writes must go on.
 */
function waitsForOwnWrite(err: unknown): boolean {
  return err instanceof MediatorError && err.issues.some((i) => i.code === 'lock-error');
}

/**
 * Node socket and DNS errors (https://nodejs.org/api/errors.html#common-system-errors) that mean
 * the connection or the name lookup failed, not that our request was wrong.
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * undici's transport failures (undici/lib/core/errors.js). Its other codes (UND_ERR_INVALID_ARG,
 * UND_ERR_NOT_SUPPORTED, UND_ERR_REQ_CONTENT_LENGTH_MISMATCH …) are requests we built wrong.
 */
const UNDICI_TRANSIENT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_ABORTED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_RETRY',
]);

/** Aborts (our attempt timeout, the client's request timeout, AbortSignal.timeout). */
const ABORT_NAMES = new Set(['AbortError', 'TimeoutError', 'AttemptTimeoutError']);

function isTransportFailure(e: ErrorLike): boolean {
  if (e instanceof AttemptTimeoutError || ABORT_NAMES.has(String(e.name))) return true;
  return typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || UNDICI_TRANSIENT_CODES.has(e.code));
}

/**
 * pg's own messages (no code) for a connection lost or never made (node-postgres lib/client.js,
 * pg-pool index.js): a client whose connection was cut answers "… is not queryable" to its next
 * query, which is how a cut (pg_terminate_backend, a restart) reaches a connection checked out
 * at that moment.
 */
const PG_CONNECTION_LOST =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

/**
 * Our database unreachable or busy for now: pg's connection loss and SQLSTATE classes 08
 * (connection), 40 (rollback: serialization, deadlock), 53 (resources), 57 (operator
 * intervention: shutdown, cancel), 58 (system) — https://www.postgresql.org/docs/current/errcodes-appendix.html —
 * and SQLite's BUSY/LOCKED (https://www.sqlite.org/rescode.html).
 */
export function isStoreUnavailable(err: unknown): boolean {
  const e = err as ErrorLike;
  if (typeof e?.code !== 'string') return typeof e?.message === 'string' && PG_CONNECTION_LOST.test(e.message);
  if (typeof e.severity === 'string' && /^(08|40|53|57|58)/.test(e.code)) return true;
  return /^SQLITE_(BUSY|LOCKED)/.test(e.code);
}

/**
 * A request failed because the mediator's database is away: what isStoreUnavailable says, or a
 * bare socket error from connecting (pg throws Node's own `connect ECONNREFUSED` while the server
 * is down or restarting). On the request path a bare socket error is the database's: upstream
 * calls reach the handler wrapped by their connector (UpstreamError).
 */
export function isDatabaseAway(err: unknown): boolean {
  const e = err as ErrorLike & { syscall?: unknown };
  if (isStoreUnavailable(err)) return true;
  return typeof e?.code === 'string' && NETWORK_CODES.has(e.code) && e.syscall === 'connect';
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  severity?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * The error and what it wraps: fetch throws TypeError('fetch failed') with the socket error as
 * its `cause`, and a failed connect to several addresses is an AggregateError of them.
 */
function causes(err: unknown, depth = 0): ErrorLike[] {
  if (err === null || typeof err !== 'object' || depth > 4) return [];
  const e = err as ErrorLike;
  const inner = Array.isArray(e.errors) ? e.errors.flatMap((x) => causes(x, depth + 1)) : [];
  return [e, ...causes(e.cause, depth + 1), ...inner];
}

/**
 * What the client is told about an internal error: that it happened and where the write is kept,
 * never the message or stack (they can hold payload data or secrets); those go to the error log.
 */
export function internalError(job: { id: string; flow: string; system: string }, err: unknown): MediatorError {
  const kind = err instanceof Error ? err.name : typeof err;
  const e = new MediatorError(500, {
    severity: 'error',
    code: 'exception',
    diagnostics:
      `Internal error in the mediator while delivering this ${job.flow} write to ${job.system} (${kind}). ` +
      `It is not retried automatically: the write is kept as outbox job ${job.id} for an operator to retry once the error is fixed`,
  });
  e.name = INTERNAL_ERROR;
  return e;
}

/** StoredError.name of a job failed by an internal error. */
export const INTERNAL_ERROR = 'InternalError';
