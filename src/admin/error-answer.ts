import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MediatorError } from '../domain/errors.js';
import { databaseUnavailable, operationOutcome, toMediatorError } from '../fhir/outcome.js';
import { describeError } from '../outbox/errors.js';
import { validationIssues } from '../fhir/validation-issues.js';
import { isDatabaseAway } from '../store/database-away.js';

/**
 * How every admin API answers an error: an OperationOutcome. A MediatorError says what, where and
 * why; a request Fastify's schema refused is a 400 naming the parameter and why (validationIssues); the mediator's
 * database away is the FHIR API's 503 (send again shortly: the registry's feed, a script), one
 * warning line; anything else is an internal error whose details stay in the log (an error
 * handler of one's own logs nothing unless it does).
 */
export function adminErrorAnswer(err: FastifyError | MediatorError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof MediatorError) return reply.code(err.status).send(operationOutcome(err.issues));
  if ((err as FastifyError).validation)
    return reply
      .code(400)
      .send(operationOutcome(validationIssues(err as FastifyError) ?? [{ code: 'invalid', diagnostics: err.message }]));
  if (isDatabaseAway(err)) {
    req.log.warn({ status: 503, err: describeError(err) }, 'the mediator database is unavailable');
    return reply.code(503).send(operationOutcome(databaseUnavailable().issues));
  }
  const status = (err as FastifyError).statusCode ?? 500;
  // Fastify's own refusals (content type, body size, empty body) in the words the outbox and FHIR
  // routes use: what was wrong, where (Content-Type, $this) and what to send instead
  if (status < 500 && String((err as FastifyError).code ?? '').startsWith('FST_')) {
    const mapped = toMediatorError(err);
    if (mapped.status < 500) return reply.code(mapped.status).send(operationOutcome(mapped.issues));
  }
  if (status >= 500) req.log.error({ err }, 'unhandled error');
  return reply
    .code(status)
    .send(
      operationOutcome([
        { code: status < 500 ? 'invalid' : 'exception', diagnostics: status < 500 ? err.message : 'internal error' },
      ]),
    );
}
