import { MediatorError, UpstreamError, isTransient } from '../domain/errors.js';
import { isDatabaseAway } from '../store/database-away.js';
import { LOGIN_REFUSAL_HOLD_MS } from '../upstream/auth/credential-cache.js';
import { AttemptTimeoutError } from './errors.js';

/**
 * What a failed delivery attempt means for its job:
 * - `transient`: the upstream or the network to it failed for now; retried with backoff, counted
 *   against the upstream's circuit breaker and the job's attempts.
 * - `store`: the mediator's own database failed for now (isDatabaseAway); retried, but charged to
 *   neither the upstream's breaker nor the job's attempts: the upstream did nothing wrong, and a
 *   database restart must not dead-letter the writes that were in flight.
 * - `refused`: a MediatorError that is not transient (the upstream's 4xx, a business rule); the
 *   job is rejected and the client gets that error. An upstream's answer of another shape than
 *   its API promises is transient (upstream/errors.ts malformedAnswer), not a refusal: the
 *   client's input is not at fault, and the write may be half applied.
 * - `internal`: anything else, a bug of ours (TypeError, ReferenceError, RangeError, SyntaxError,
 *   an unexpected throw). Retrying cannot fix it, so it fails the job once, visibly (dead letter,
 *   error log with the stack, audit), replayable by an operator after the fix.
 */
export type FailureKind = 'transient' | 'store' | 'refused' | 'internal';

export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof MediatorError) return isTransient(err) ? 'transient' : 'refused';
  const all = causes(err);
  if (all.some(isDatabaseAway)) return 'store';
  return all.some(isTransportFailure) ? 'transient' : 'internal';
}

export function isTransientFailure(err: unknown): boolean {
  const kind = classifyFailure(err);
  return kind === 'transient' || kind === 'store';
}

/**
 * When the system itself said the write can only succeed later, and when: a transient error with
 * a `retryAt` (epoch ms) still ahead, as the DHIS2 connector gives while DHIS2 refuses its
 * account (systems/dhis2/account-hold.ts). The job waits until then without being charged an
 * attempt, as behind an open circuit, so a wait of any length never dead-letters it.
 */
export function retryAtOf(err: unknown, now = Date.now()): number | undefined {
  if (classifyFailure(err) !== 'transient') return undefined;
  const at = (err as { retryAt?: unknown }).retryAt;
  return typeof at === 'number' && Number.isFinite(at) && at > now ? at : undefined;
}

/**
 * How long a delivery that met a refusal of the mediator's own credentials waits, uncharged, before
 * it is tried again: a login refused for good, a token DHIS2 answers 401 to, credentials not set.
 * The client's write is not what was refused, and only a person can fix the settings (a password
 * changed upstream, a token revoked over a weekend): charged, such a refusal rejected an accepted
 * write at once (OpenLMIS, OpenMRS, Open mSupply: a login refused for good is not transient) or
 * dead-lettered every queued write within hours (DHIS2), though the client had been told it would
 * be delivered. The wait is the credential cache's hold on a refused login
 * (upstream/auth/credential-cache.ts: within it a login is answered from memory), so a try after
 * it asks the system once more, and one with new settings goes through.
 */
export const CREDENTIALS_REFUSED_WAIT_MS = LOGIN_REFUSAL_HOLD_MS;

/** When a delivery refused the mediator's credentials may be tried again (undefined: not such a refusal). */
export function credentialsRefusedRetryAt(err: unknown, now = Date.now()): number | undefined {
  return err instanceof UpstreamError && err.issues[0]?.code === 'login'
    ? now + CREDENTIALS_REFUSED_WAIT_MS
    : undefined;
}

/**
 * Whether a failure counts toward the system's circuit breaker: only the system (or the way to
 * it) failing. A refusal means the system is healthy; a bug of ours or our database being away
 * says nothing about the system, and must not stall every other write to it. Nor does a system
 * that said when to come back (retryAtOf): its jobs already wait until then, and counting the
 * wait would open the breaker after it, holding the system's writes back for nothing. Nor, by
 * itself, does an answer of another shape (a list without its items, a pager that never ends):
 * the system answered, and one odd endpoint or record would otherwise stall its healthy writes.
 * The breaker counts those only when they are the system's (otherShapeAnswer, breakers.ts). Nor
 * does a failure the system marked as its being up and the write having to wait (`systemUp`:
 * OpenMRS's clock behind ours): that job is retried and charged, the others go on.
 */
export function countsAgainstSystem(err: unknown, system?: string): boolean {
  return failsSystem(err, system) && !(err instanceof UpstreamError && err.otherShape);
}

/**
 * An answer of another shape from the system (upstream/errors.ts malformedAnswer) that would
 * otherwise count against it: the breaker counts it only when such answers are the system's,
 * not one record's (met by several jobs since its last success, or by its probe).
 */
export function otherShapeAnswer(err: unknown, system?: string): err is UpstreamError {
  return err instanceof UpstreamError && err.otherShape && failsSystem(err, system);
}

function failsSystem(err: unknown, system?: string): boolean {
  return (
    classifyFailure(err) === 'transient' &&
    !waitsForOwnWrite(err) &&
    retryAtOf(err) === undefined &&
    !(err instanceof UpstreamError && err.systemUp) &&
    !(system !== undefined && ofAnotherSystem(err, system))
  );
}

/**
 * An upstream error of a system other than the job's: its delivery asked that one too (a facility
 * job finding its parent in the other systems, routing/facility-parent.ts; a bridge reading its
 * source). That system being away is not this one failing, and must not open this one's breaker.
 */
function ofAnotherSystem(err: unknown, system: string): boolean {
  return otherSystemOf(err, system) !== undefined;
}

/** The system an error of another system than `system` names (UpstreamError.system), if it is one. */
export function otherSystemOf(err: unknown, system: string): string | undefined {
  const of = (err as { system?: unknown } | null)?.system;
  return typeof of === 'string' && of !== system ? of : undefined;
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
 * A failure that may be one write's own as well as the system's: a gateway's 502 or 504, or no
 * answer in time to a request that went out (a proxy timing out on one poisoned record). A
 * connection refused, reset or unreachable (NETWORK_CODES) and a 503 say the system serves
 * nobody, whatever was asked: a write held on those is held however long (breakers.ts).
 */
export function ambiguousFailure(err: unknown): boolean {
  if (err instanceof UpstreamError) {
    if (err.upstreamStatus !== undefined) return err.upstreamStatus === 502 || err.upstreamStatus === 504;
    return err.issues.some((i) => i.code === 'timeout');
  }
  return causes(err).some(
    (e) =>
      e instanceof AttemptTimeoutError ||
      e.name === 'TimeoutError' ||
      e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
      e.code === 'UND_ERR_BODY_TIMEOUT',
  );
}

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

interface ErrorLike {
  name?: unknown;
  code?: unknown;
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
