import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MediatorError } from '../domain/errors.js';
import { operationOutcome } from '../fhir/outcome.js';

/**
 * How every admin API answers an error: an OperationOutcome. A MediatorError says what, where and
 * why; a request Fastify refused (schema, body) is a 400 with its message; anything else is an
 * internal error whose details stay in the log.
 */
export function adminErrorAnswer(err: FastifyError | MediatorError, _req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof MediatorError) return reply.code(err.status).send(operationOutcome(err.issues));
  if ((err as FastifyError).validation)
    return reply.code(400).send(operationOutcome([{ code: 'invalid', diagnostics: err.message }]));
  const status = (err as FastifyError).statusCode ?? 500;
  return reply
    .code(status)
    .send(
      operationOutcome([
        { code: status < 500 ? 'invalid' : 'exception', diagnostics: status < 500 ? err.message : 'internal error' },
      ]),
    );
}
