import {
  UpstreamCallError,
  asRecord,
  decodeHttpError,
  textReason,
  type ReasonDecoder,
  type UpstreamErrorOptions,
} from '../../upstream/errors.js';

export { isTransientStatus } from '../../upstream/errors.js';

/**
 * OpenLMIS's error shapes, for the shared decoder (upstream/errors.ts). OpenLMIS answers with
 * `{messageKey, message}`, a requisition field map `{field: {messageKey, message}}`, Spring's
 * default `{status, error, message, path}` or OAuth's `{error, error_description}` (reference §0).
 * The messageKey is kept on the error so flows can recognise upstream states they handle
 * (an already confirmed POD, a burnt Idempotency-Key) without parsing text.
 */
export const LMIS = 'openlmis';

export class LmisError extends UpstreamCallError {
  constructor(opts: UpstreamErrorOptions & { messageKey?: string; upstreamMessage?: string }) {
    const reason =
      opts.reason ??
      (opts.messageKey || opts.upstreamMessage ? { code: opts.messageKey, message: opts.upstreamMessage } : undefined);
    super({ ...opts, reason });
    this.name = 'LmisError';
  }

  /** The upstream messageKey (e.g. fulfillment.error.proofOfDelivery.alreadyConfirmed), when it sent one. */
  get messageKey(): string | undefined {
    return this.reasonCode;
  }
}

export const makeLmisError = (opts: UpstreamErrorOptions) => new LmisError(opts);

/** The upstream messageKey of an error thrown by the client, if any. */
export function lmisMessageKey(err: unknown): string | undefined {
  return err instanceof LmisError ? err.messageKey : undefined;
}

interface Reason {
  messageKey?: string;
  message?: string;
}

/** The reason an error body gives, whatever of the four shapes it has. */
export function reasonOf(body: unknown): Reason {
  const b = asRecord(body);
  if (!b) return textReason(body);
  if (typeof b.messageKey === 'string')
    return { messageKey: b.messageKey, message: typeof b.message === 'string' ? b.message : undefined };
  // requisition BindingResultException: one localized message per field
  const fields = Object.entries(b).filter(([, v]) => asRecord(v) && typeof asRecord(v)!.messageKey === 'string');
  if (fields.length) {
    const first = asRecord(fields[0][1])!;
    return {
      messageKey: String(first.messageKey),
      message: fields.map(([k, v]) => `${k}: ${String(asRecord(v)!.message ?? asRecord(v)!.messageKey)}`).join('; '),
    };
  }
  if (typeof b.error === 'string') {
    // OAuth errors: error_description may echo the token (invalid_token) — keep only the code
    return { messageKey: b.error, message: typeof b.message === 'string' ? b.message : undefined };
  }
  return { message: typeof b.message === 'string' ? b.message : undefined };
}

/** The per-system hook of the shared decoder; a 401 keeps only the OAuth error code. */
export const lmisReason: ReasonDecoder = (body, status) => {
  if (status === 401) return { code: asRecord(body)?.error as string | undefined };
  const r = reasonOf(body);
  return { code: r.messageKey, message: r.message };
};

const HINTS: Partial<Record<number, string>> = {
  401: ' (credentials rejected after a fresh login: check openlmis.username/password/clientId/clientSecret/apiKey)',
  403: ' (the integration user lacks a right for this call)',
};

/** An HTTP error answer → LmisError (transient for 5xx/429/408, else permanent with the upstream reason). */
export function decodeLmisError(status: number, body: unknown, method: string, path: string): LmisError {
  return decodeHttpError(status, body, {
    system: LMIS,
    method,
    path,
    reasonOf: lmisReason,
    hints: HINTS,
    make: makeLmisError,
  }) as LmisError;
}
