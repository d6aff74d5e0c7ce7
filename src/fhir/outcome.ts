import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MediatorError, UpstreamError, type Issue } from '../domain/errors.js';
import { redact } from '../platform/redaction.js';

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: { severity: string; code: string; diagnostics?: string; details?: { text: string }; expression?: string[] }[];
}

export function operationOutcome(issues: Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity ?? (i.code === 'informational' ? 'information' : 'error'),
      code: i.code,
      // an upstream's reason may echo a credential it was sent: masked here too, not only on the wire
      diagnostics: i.diagnostics === undefined ? undefined : redact(i.diagnostics),
      ...(i.expression && i.expression.length ? { expression: i.expression } : {}),
    })),
  };
}

export function informational(diagnostics: string): OperationOutcome {
  return operationOutcome([{ severity: 'information', code: 'informational', diagnostics }]);
}

/** Fastify's own errors (parser, body limit, content type) mapped to FHIR statuses and issue types. */
function fromFastifyError(err: FastifyError): MediatorError | undefined {
  const status = err.statusCode ?? 500;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MediatorError(413, { code: 'too-costly', diagnostics: 'The request body is larger than the configured limit (limits.bodyBytes)' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MediatorError(415, { code: 'not-supported', diagnostics: `Unsupported Content-Type: send application/fhir+json or application/json` });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new MediatorError(400, { code: 'structure', diagnostics: 'The request body is empty; a FHIR resource was expected' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MediatorError(400, { code: 'structure', diagnostics: `The request body is not valid JSON: ${err.message}` });
    case 'FST_ERR_VALIDATION':
      return new MediatorError(400, { code: 'invalid', diagnostics: err.message });
  }
  if (status === 415) return new MediatorError(415, { code: 'not-supported', diagnostics: err.message });
  if (status === 413) return new MediatorError(413, { code: 'too-costly', diagnostics: err.message });
  if (status >= 400 && status < 500) return new MediatorError(status, { code: 'invalid', diagnostics: err.message });
  return undefined;
}

/** The one place where any error becomes an OperationOutcome (no stack traces, no secrets). */
export function toMediatorError(err: unknown): MediatorError {
  if (err instanceof MediatorError) return err;
  const fastifyError = err as FastifyError;
  if (fastifyError && typeof fastifyError === 'object' && ('code' in fastifyError || 'statusCode' in fastifyError)) {
    const mapped = fromFastifyError(fastifyError);
    if (mapped) return mapped;
  }
  return new MediatorError(500, { code: 'exception', diagnostics: 'Internal error; the mediator log has the details under this request id' });
}

export function fhirErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const error = toMediatorError(err);
  // A transient upstream failure tells OpenHIM to auto-retry the transaction (reference/openhim.md §1.4).
  if (err instanceof UpstreamError && err.transient && 'openhimTransientError' in request) {
    (request as FastifyRequest & { openhimTransientError: { message: string } | null }).openhimTransientError = { message: error.message };
  }
  if (error.status >= 500 && !(err instanceof MediatorError)) request.log.error({ err }, 'unhandled error');
  else request.log.info({ status: error.status, diagnostics: error.message }, 'request refused');
  void reply.code(error.status).type('application/fhir+json; charset=utf-8').send(operationOutcome(error.issues));
}
