import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MediatorError } from '../domain/errors.js';

export interface AuthSettings {
  mode: 'basic' | 'bearer' | 'off';
  username?: string;
  password?: string;
  bearerToken?: string;
}

/** Paths anyone may call: liveness, and the CapabilityStatement FHIR clients fetch before logging in. */
const OPEN_PATHS = [/^\/health$/, /^\/fhir(\/R5)?\/metadata(\?.*)?$/];

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Returns the authenticated actor, or undefined. Secrets are compared in constant time. */
export function authenticate(header: string | undefined, auth: AuthSettings): string | undefined {
  if (!header) return undefined;
  if (auth.mode === 'basic' && header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    if (colon > 0 && same(user, auth.username ?? '') && same(decoded.slice(colon + 1), auth.password ?? '')) return user;
  }
  if (auth.mode === 'bearer' && header.startsWith('Bearer ') && same(header.slice(7), auth.bearerToken ?? '')) return 'bearer-client';
  return undefined;
}

/**
 * Inbound authentication, on unless explicitly turned off. Settings are read per request so a new
 * password from the OpenHIM console applies without a restart.
 */
export function registerAuth(app: FastifyInstance, current: () => AuthSettings): void {
  app.decorateRequest('actor', undefined);
  app.addHook('onRequest', async (request: FastifyRequest & { actor?: string }, reply) => {
    const auth = current();
    if (auth.mode === 'off' || OPEN_PATHS.some((p) => p.test(request.url))) return;
    if (request.url.startsWith('/admin')) return; // the admin plugin checks its own token
    const actor = authenticate(request.headers.authorization, auth);
    if (!actor) {
      reply.header('WWW-Authenticate', auth.mode === 'basic' ? 'Basic realm="fhir-supply-mediator"' : 'Bearer');
      throw new MediatorError(401, { code: 'login', diagnostics: `Authentication required (${auth.mode})` });
    }
    request.actor = actor;
  });
}
