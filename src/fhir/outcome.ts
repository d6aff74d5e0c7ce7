import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  MediatorError,
  MethodNotAllowedError,
  NotConfiguredError,
  TransactionRefusedError,
  UpstreamError,
  type Issue,
} from '../domain/errors.js';
import { describeError, GivenUpError } from '../outbox/errors.js';
import { isDatabaseAway } from '../store/database-away.js';
import { redact } from '../platform/redaction.js';
import { validationIssues } from './validation-issues.js';
import { answerMediaType } from './content.js';
import { versionOfPath } from './versions.js';

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: { severity: string; code: string; diagnostics?: string; details?: { text: string }; expression?: string[] }[];
}

/** The most issues one OperationOutcome lists; the rest are counted in one last issue (a hostile body must not make a huge answer). */
export const MAX_LISTED_ISSUES = 100;

export function operationOutcome(issues: Issue[]): OperationOutcome {
  const listed =
    issues.length > MAX_LISTED_ISSUES
      ? [
          ...issues.slice(0, MAX_LISTED_ISSUES),
          {
            code: 'too-costly' as const,
            diagnostics: `More issues are not listed (validation stops after the first ${MAX_LISTED_ISSUES}); fix these and send again`,
            expression: issues[MAX_LISTED_ISSUES].expression,
          },
        ]
      : issues;
  return {
    resourceType: 'OperationOutcome',
    issue: listed.map((i) => ({
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
      return new MediatorError(413, {
        code: 'too-costly',
        diagnostics: 'The request body is larger than the configured limit (limits.bodyBytes)',
        expression: ['$this'],
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new MediatorError(415, {
        code: 'not-supported',
        diagnostics: `Unsupported Content-Type: send application/fhir+json or application/json`,
        expression: ['Content-Type'],
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new MediatorError(400, {
        code: 'structure',
        diagnostics: 'The request body is empty; a FHIR resource was expected',
        expression: ['$this'],
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MediatorError(400, {
        code: 'structure',
        diagnostics: 'The request body is shorter or longer than its Content-Length',
        expression: ['Content-Length'],
      });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new MediatorError(400, {
        code: 'structure',
        diagnostics: `The request body is not valid JSON: ${err.message}`,
        expression: ['$this'],
      });
    case 'FST_ERR_VALIDATION':
      return new MediatorError(
        400,
        validationIssues(err) ?? { code: 'invalid', diagnostics: err.message, expression: ['$this'] },
      );
  }
  // @fastify/compress: a body that does not inflate, or an encoding it does not know
  if (/^FST_CP_ERR_INVALID_CONTENT/.test(String(err.code)) || /Content-Encoding/i.test(err.message)) {
    return new MediatorError(status === 415 ? 415 : 400, {
      code: status === 415 ? 'not-supported' : 'structure',
      diagnostics: `The request body could not be decompressed: ${err.message}`,
      expression: ['Content-Encoding'],
    });
  }
  if (status === 415)
    return new MediatorError(415, { code: 'not-supported', diagnostics: err.message, expression: ['Content-Type'] });
  if (status === 413)
    return new MediatorError(413, { code: 'too-costly', diagnostics: err.message, expression: ['$this'] });
  if (status >= 400 && status < 500)
    return new MediatorError(status, { code: 'invalid', diagnostics: err.message, expression: ['$this'] });
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
  if (isDatabaseAway(err)) return databaseUnavailable(err);
  return new MediatorError(500, {
    code: 'exception',
    diagnostics: 'Internal error; the mediator log has the details under this request id',
  });
}

/**
 * The mediator's own database away (a restart, a failover, connections cut): the client can
 * send the request again once it is back, and a write accepted before is not applied twice (its
 * identifier deduplicates it). Not a 500: nothing is wrong with the request or the code.
 */
export function databaseUnavailable(err?: unknown): MediatorError {
  // SQLite's write lock held by another process (a shell's transaction, a backup): what to look for
  const busy = (err as { code?: unknown } | undefined)?.code === 'SQLITE_BUSY';
  return new MediatorError(503, {
    code: 'transient',
    diagnostics: busy
      ? "The mediator's database is busy: another process (an operator's command or tool) holds its write lock; send the request again shortly (a write it already accepted is not applied twice)"
      : "The mediator's database is unavailable just now; send the request again shortly (a write it already accepted is not applied twice)",
  });
}

/**
 * The part of the request an issue is about when the code that raised it named none (README "FHIR
 * conventions"): a flow not configured is about the resource type, a missing resource about its
 * id, a server or upstream failure about the request as a whole (its url), any other client error
 * about the body.
 */
function defaultExpression(status: number, err: unknown): string {
  if (err instanceof NotConfiguredError) return 'type';
  if (status === 404) return 'id';
  if (status >= 500) return 'url';
  return '$this';
}

function withExpressions(error: MediatorError, err: unknown): Issue[] {
  if (error.issues.every((i) => i.expression?.length)) return error.issues;
  const fallback = defaultExpression(error.status, err);
  return error.issues.map((i) => (i.expression?.length ? i : { ...i, expression: [fallback] }));
}

/** A failure that OpenHIM's auto-retry would only meet again, whatever its status. */
function neverRetried(err: unknown): boolean {
  if (err instanceof GivenUpError) return true;
  if (err instanceof UpstreamError) return !err.transient;
  return err instanceof TransactionRefusedError && !err.retryable;
}

export function fhirErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const error = toMediatorError(err);
  // A transient upstream failure tells OpenHIM to auto-retry the transaction (reference/openhim.md §1.4).
  if (err instanceof UpstreamError && err.transient && 'openhimTransientError' in request) {
    (request as FastifyRequest & { openhimTransientError: { message: string } | null }).openhimTransientError = {
      message: error.message,
    };
  }
  // a write given up is settled until an operator retries it: an OpenHIM rerun would meet it again;
  // so would a permanent upstream failure (a refused login, a redirect: 502 too) and a
  // transaction refused without a transient failure among its refusals
  if (neverRetried(err) && 'openhimTransientError' in request)
    (request as FastifyRequest & { openhimTransientError: false | null }).openhimTransientError = false;
  // the database away answers every request in flight with the same 503: one warning line each,
  // not an error with a stack (an outage of seconds logged hundreds of stacks)
  if (isDatabaseAway(err))
    request.log.warn({ status: error.status, err: describeError(err) }, 'the mediator database is unavailable');
  else if (error.status >= 500 && !(err instanceof MediatorError)) request.log.error({ err }, 'unhandled error');
  else request.log.info({ status: error.status, diagnostics: error.message }, 'request refused');
  if (err instanceof MethodNotAllowedError) void reply.header('Allow', err.allow.join(', '));
  void reply
    .code(error.status)
    .type(answerMediaType('application/fhir+json', versionOfPath(request.url)))
    .send(operationOutcome(withExpressions(error, err)));
}
