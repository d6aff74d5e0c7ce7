import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Settings } from '../config/settings.js';
import { operationOutcome } from '../fhir/outcome.js';

/**
 * The admin token: a fixed value, or a function read on every request so a credential changed
 * live from the OpenHIM console takes effect at once (and the old value stops working at once).
 */
export type AdminToken = string | (() => string | undefined);

/**
 * admin.token, else the inbound credentials (bearer secret, then Basic password), read from the
 * current settings on every call: the fallback follows a password changed live.
 */
export function liveAdminToken(settings: () => Settings): () => string | undefined {
  return () => {
    const s = settings();
    for (const key of ['admin.token', 'auth.bearerToken', 'auth.password']) {
      const value = s[key];
      if (typeof value === 'string' && value !== '') return value;
    }
    return undefined;
  };
}

function given(header: string | undefined): Buffer {
  const match = /^bearer\s+(.*)$/i.exec(header ?? ''); // auth schemes are case-insensitive (RFC 9110 §11.1)
  return Buffer.from(match ? match[1] : '');
}

const REQUIRED = 'admin authentication required (Authorization: Bearer <admin token>)';
/** No token to compare with (AUTH_MODE=off, no ADMIN_TOKEN): no guess can pass, so say what to set. */
const CLOSED =
  'the admin API is closed: no admin token is configured (set ADMIN_TOKEN, or AUTH_BEARER_TOKEN / AUTH_PASSWORD, whose value it then takes)';

/**
 * The admin APIs' authentication (outbox operations, reconciliation review): a bearer token
 * compared in constant time; 401 with `WWW-Authenticate: Bearer` and an OperationOutcome. With no
 * token configured at the moment of the request, every request is refused.
 */
export function bearerCheck(token: AdminToken) {
  const current = typeof token === 'function' ? token : () => token;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const value = current();
    const expected = Buffer.from(value ?? '');
    const presented = given(request.headers.authorization);
    if (!value || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      // returning the reply ends the request here (Fastify async hook contract)
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(operationOutcome([{ code: 'login', diagnostics: value ? REQUIRED : CLOSED }]));
    }
    return undefined;
  };
}
