import { ConflictError, MediatorError, UpstreamError, isUnknownUpstreamOutcome } from '../domain/errors.js';
import type { StoredError } from '../store/types.js';
import { keyPartText } from '../domain/business-key.js';
import { redact } from '../platform/redaction.js';

/**
 * A write whose business key the outbox already holds for another payload: a reused order number,
 * or (routing tells them apart) a change that lost the race to another change of the same revision.
 */
export class KeyTakenError extends ConflictError {
  constructor(
    readonly idempotencyKey: string,
    readonly jobId: string,
    flow: string,
    payload?: unknown,
  ) {
    super(
      `Identifier "${clientIdentifierOf(idempotencyKey, flow, payload)}" was already used for a different ${flow} payload (outbox job ${jobId}); resend the original payload or use a new identifier${flow === 'order' ? ' (to change the order, PUT or PATCH its lines)' : ''}`,
    );
    this.name = 'KeyTakenError';
  }
}

/**
 * The identifier as the client sent it (`system|value`, FHIR's token form) from the outbox's key
 * (`order|system|value|rev:2`, a delivery's draft `…|in-progress:2`): the flow prefix, revision
 * and draft mark are the outbox's own terms, which a
 * client answered 409 had never seen and could not match against its payload. A key of another
 * form is shown whole. The mark is cut only when the write (`payload`) is one that has it (a
 * revision, a draft): a key an older release stored escaped no value, so a completed delivery
 * numbered `DL-1|in-progress` was keyed as DL-1's first draft, and was told "DL-1" was used.
 */
function clientIdentifierOf(idempotencyKey: string, flow: string, payload?: unknown): string {
  if (!idempotencyKey.startsWith(`${flow}|`)) return idempotencyKey;
  const named = idempotencyKey.slice(flow.length + 1);
  const unmarked =
    payload === undefined || marked(payload) ? named.replace(/\|(rev:\d+|in-progress(:\d+)?)$/, '') : named;
  // the system and value as the client wrote them: a key holds them escaped (domain/business-key.ts)
  return unmarked.split('|').map(keyPartText).join('|');
}

/** Whether a write's key ends in a mark of the outbox's (routing/flows.ts key): an order's revision, a draft. */
function marked(payload: unknown): boolean {
  const p = payload as { revision?: unknown; status?: unknown } | null;
  return !!p && (!!p.revision || p.status === 'in-progress');
}

/**
 * A write given up after its attempts (a dead letter), as its client and every resend of it are
 * answered until an operator retries it: a dead job is settled, nothing more happens to it on its
 * own. 502 (the upstream kept failing), naming the job, its last error (stored redacted, in the
 * words an inline failure answers with) and how an operator retries it. Not a transient error to
 * OpenHIM: its auto-retry would meet the same dead job (the update PUT carries no `error` either).
 */
export class GivenUpError extends MediatorError {
  constructor(job: { id: string; flow: string; system: string; attempts: number; lastError?: string }) {
    super(502, {
      code: 'transient',
      diagnostics:
        `Delivery of this ${job.flow} write to ${job.system} gave up after ${job.attempts} attempt${job.attempts === 1 ? '' : 's'} ` +
        `(last error: ${job.lastError ?? 'unknown'}). It is kept as outbox job ${job.id}: an operator can retry it ` +
        `(\`cli outbox retry ${job.id}\`, or POST /admin/outbox/jobs/${job.id}/retry)`,
    });
    this.name = 'GivenUpError';
  }
}

/**
 * An attempt that gave its delivery slot up while it waited for another job (DeliveryContext.awaitJob)
 * and could not have it back in time (other writes took the system's slots meanwhile): it sent
 * nothing, so the job is due again at once, uncharged (`retryAt`, failures.ts), and no breaker
 * counts it (`lock-error`: the system did nothing wrong).
 */
export class SlotTakenMeanwhile extends UpstreamError {
  readonly retryAt: number;
  constructor(system: string) {
    super({
      system,
      transient: true,
      upstreamStatus: 503,
      code: 'lock-error',
      diagnostics: `${system} is busy (concurrency limit) after this write waited for another; the write is queued`,
    });
    this.retryAt = Date.now() + 1_000;
  }
}

/**
 * The attempt ran past attemptTimeoutMs. `system`: the system it was waiting on, where known (a
 * request to it unanswered: outbox.ts LazyAbort.waitedOn). A delivery that asks another system on the way
 * (a facility's parent) and hangs there is that system not answering: the last-attempt hold asks
 * THAT system's readiness (last-attempt-hold.ts), and the job's own breaker does not count it
 * (failures.ts ofAnotherSystem). Without it the timeout was the job's own system's, whose check
 * passed, and the write was dead-lettered while the other system was down.
 */
export class AttemptTimeoutError extends Error {
  constructor(
    ms: number,
    readonly system?: string,
  ) {
    super(`delivery attempt timed out after ${ms} ms${system === undefined ? '' : ` waiting on ${system}`}`);
    this.name = 'AttemptTimeoutError';
  }
}

/**
 * A failed attempt after which nobody knows whether the upstream applied its last request: our
 * attempt timeout stopped waiting, or the upstream call itself had no answer
 * (isUnknownUpstreamOutcome).
 */
export function isUnknownOutcome(err: unknown): boolean {
  return err instanceof AttemptTimeoutError || isUnknownUpstreamOutcome(err);
}

const CREDENTIALS_IN_URL = /\/\/[^/\s:@]+:[^/\s@]+@/g;

/** A one-line reason safe for logs and OperationOutcome diagnostics (no credentials in URLs). */
export function describeError(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } };
  const parts = [typeof e?.message === 'string' ? e.message : String(err)];
  const code = e?.code ?? e?.cause?.code;
  if (typeof code === 'string' && !parts[0].includes(code)) parts.push(`(${code})`);
  // redacted before the cut: half a secret would no longer be recognised
  return redact(parts.join(' ').replace(CREDENTIALS_IN_URL, '//***@')).slice(0, 500);
}

export function toStoredError(err: unknown): StoredError {
  if (err instanceof MediatorError) {
    // stored and later shown (admin views, `cli outbox show`, OpenHIM updates): never with a secret an upstream echoed
    const stored: StoredError = {
      name: err.name,
      status: err.status,
      issues: err.issues.map((i) =>
        i.diagnostics === undefined ? { ...i } : { ...i, diagnostics: redact(i.diagnostics) },
      ),
    };
    if (err instanceof UpstreamError) {
      stored.system = err.system;
      stored.transient = err.transient;
      if (err.upstreamStatus !== undefined) stored.upstreamStatus = err.upstreamStatus;
    }
    return stored;
  }
  return {
    name: 'UpstreamError',
    status: 502,
    transient: true,
    issues: [{ severity: 'error', code: 'transient', diagnostics: describeError(err) }],
  };
}

/** Back to an error object the FHIR outcome plugin understands (instanceof UpstreamError kept). */
export function reviveError(stored: StoredError): MediatorError {
  const issues = stored.issues as MediatorError['issues'];
  if (stored.system !== undefined) {
    const err = Object.create(UpstreamError.prototype) as UpstreamError;
    Object.assign(err, {
      name: stored.name,
      message: issues.map((i) => i.diagnostics).join('; '),
      status: stored.status,
      issues,
      system: stored.system,
      transient: stored.transient ?? false,
      upstreamStatus: stored.upstreamStatus,
    });
    return err;
  }
  const err = new MediatorError(stored.status, issues);
  err.name = stored.name;
  return err;
}
