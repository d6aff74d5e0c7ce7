import { UpstreamError, type IssueType } from '../../domain/errors.js';

/**
 * Turns OpenLMIS failures into the mediator's errors, in one place. OpenLMIS answers with
 * `{messageKey, message}`, a requisition field map `{field: {messageKey, message}}`, Spring's
 * default `{status, error, message, path}` or OAuth's `{error, error_description}` (reference §0).
 * The messageKey is kept on the error so flows can recognise upstream states they handle
 * (an already confirmed POD, a burnt Idempotency-Key) without parsing text.
 */
export const LMIS = 'openlmis';

export class LmisError extends UpstreamError {
  /** The upstream messageKey (e.g. fulfillment.error.proofOfDelivery.alreadyConfirmed), when it sent one. */
  readonly messageKey?: string;
  /** The upstream's localized message, when it sent one (never for 401: those bodies echo the token). */
  readonly upstreamMessage?: string;
  constructor(opts: ConstructorParameters<typeof UpstreamError>[0] & { messageKey?: string; upstreamMessage?: string }) {
    super(opts);
    this.name = 'LmisError';
    this.messageKey = opts.messageKey;
    this.upstreamMessage = opts.upstreamMessage;
  }
}

/** The upstream messageKey of an error thrown by the client, if any. */
export function lmisMessageKey(err: unknown): string | undefined {
  return err instanceof LmisError ? err.messageKey : undefined;
}

interface Reason {
  messageKey?: string;
  message?: string;
}

function asRecord(body: unknown): Record<string, unknown> | undefined {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/** The reason an error body gives, whatever of the four shapes it has. */
export function reasonOf(body: unknown): Reason {
  const b = asRecord(body);
  if (!b) return typeof body === 'string' && body.trim() && body.length < 500 ? { message: body.trim() } : {};
  if (typeof b.messageKey === 'string') return { messageKey: b.messageKey, message: typeof b.message === 'string' ? b.message : undefined };
  // requisition BindingResultException: one localized message per field
  const fields = Object.entries(b).filter(([, v]) => asRecord(v) && typeof asRecord(v)!.messageKey === 'string');
  if (fields.length) {
    const first = asRecord(fields[0][1])!;
    return { messageKey: String(first.messageKey), message: fields.map(([k, v]) => `${k}: ${String(asRecord(v)!.message ?? asRecord(v)!.messageKey)}`).join('; ') };
  }
  if (typeof b.error === 'string') {
    // OAuth errors: error_description may echo the token (invalid_token) — keep only the code
    return { messageKey: b.error, message: typeof b.message === 'string' ? b.message : undefined };
  }
  return { message: typeof b.message === 'string' ? b.message : undefined };
}

const STATUS_FOR: Record<number, { status: number; code: IssueType }> = {
  400: { status: 422, code: 'business-rule' },
  403: { status: 502, code: 'forbidden' },
  404: { status: 404, code: 'not-found' },
  409: { status: 409, code: 'conflict' },
  412: { status: 412, code: 'conflict' },
  // the request was too large for OpenLMIS (its nginx client_max_body_size): resending it can
  // never succeed, so this is the client's problem (422), not a transient 502
  413: { status: 422, code: 'too-costly' },
  422: { status: 422, code: 'business-rule' },
};

export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** An HTTP error answer → LmisError (transient for 5xx/429/408, else permanent with the upstream reason). */
export function decodeLmisError(status: number, body: unknown, method: string, path: string): LmisError {
  const transient = isTransientStatus(status);
  const reason = status === 401 ? { messageKey: asRecord(body)?.error as string | undefined } : reasonOf(body);
  const what = [reason.messageKey, reason.message].filter(Boolean).join(': ') || `HTTP ${status}`;
  const hint = status === 401 ? ' (credentials rejected after a fresh login: check openlmis.username/password/clientId/clientSecret/apiKey)'
    : status === 403 ? ' (the integration user lacks a right for this call)' : '';
  const mapped = STATUS_FOR[status] ?? { status: transient ? 502 : 502, code: transient ? 'transient' as const : 'exception' as const };
  return new LmisError({
    system: LMIS,
    transient: transient || status === 401,
    upstreamStatus: status,
    status: transient || status === 401 ? 502 : mapped.status,
    code: transient ? 'transient' : status === 401 ? 'login' : mapped.code,
    diagnostics: `${method} ${path} answered ${status} ${what}${hint}`,
    messageKey: reason.messageKey,
    upstreamMessage: status === 401 ? undefined : reason.message,
  });
}

/** A failure without an HTTP answer (timeout, reset, refused): always transient. */
export function transportError(err: unknown, method: string, path: string, timeoutMs: number): LmisError {
  const e = err as { name?: string; code?: string; message?: string };
  const timedOut = e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.code === 'UND_ERR_CONNECT_TIMEOUT';
  return new LmisError({
    system: LMIS,
    transient: true,
    code: timedOut ? 'timeout' : 'transient',
    diagnostics: timedOut ? `${method} ${path} did not answer within ${timeoutMs} ms` : `${method} ${path} failed: ${e?.code ?? e?.name ?? 'error'} ${e?.message ?? ''}`.trim(),
  });
}
