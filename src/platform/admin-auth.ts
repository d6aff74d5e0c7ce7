import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { operationOutcome } from '../fhir/outcome.js';

/**
 * The admin APIs' authentication (outbox operations, reconciliation review): a static bearer
 * token compared in constant time; 401 with `WWW-Authenticate: Bearer` and an OperationOutcome.
 */
export function bearerCheck(token: string) {
  const expected = Buffer.from(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      // returning the reply ends the request here (Fastify async hook contract)
      return reply.code(401).header('www-authenticate', 'Bearer')
        .send(operationOutcome([{ code: 'login', diagnostics: 'admin authentication required (Authorization: Bearer <admin token>)' }]));
    }
    return undefined;
  };
}
