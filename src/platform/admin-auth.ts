import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Settings } from '../config/settings.js';
import { operationOutcome } from '../fhir/outcome.js';
import { FailureWindow } from './failure-window.js';

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
 * The client address of the console's own calls to the admin API (app.inject, src/admin/ui/api.ts):
 * no socket of the network has it, and those calls carry the token of a signed-in session, so
 * another client's guesses from the console's address (a proxy on the same host) never hold them.
 */
export const IN_PROCESS_ADDRESS = 'in-process';

/**
 * Wrong admin tokens per client address, as the console counts failed sign-ins (20 in 15
 * minutes, sign-in-limit.ts): without it the API was the way round the console's limit, a
 * guesser trying tokens at network speed. Counted in this process, like the console's.
 */
export const ADMIN_GUESSES = { perAddress: 20, windowMs: 15 * 60_000 };
const guesses = new FailureWindow(ADMIN_GUESSES.perAddress, ADMIN_GUESSES.windowMs);

/** 429 while an address has guessed too often: every Bearer request from it, the right token too. */
function tooManyGuesses(reply: FastifyReply, waitMs: number) {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return reply
    .code(429)
    .header('retry-after', String(seconds))
    .send(
      operationOutcome([
        {
          code: 'throttled',
          diagnostics: `too many wrong admin tokens from this address (${ADMIN_GUESSES.perAddress} in ${ADMIN_GUESSES.windowMs / 60_000} minutes): try again in ${seconds} s`,
        },
      ]),
    );
}

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
    // a request with no token guesses nothing; the console's in-process calls are not a client's
    const counted = presented.length > 0 && request.ip !== IN_PROCESS_ADDRESS;
    const now = Date.now();
    const wait = counted ? guesses.waitMs(request.ip, now) : 0;
    if (wait > 0) return tooManyGuesses(reply, wait);
    if (!value || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      if (counted && value) guesses.fail(request.ip, now);
      // returning the reply ends the request here (Fastify async hook contract)
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(operationOutcome([{ code: 'login', diagnostics: value ? REQUIRED : CLOSED }]));
    }
    return undefined;
  };
}
