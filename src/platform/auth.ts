import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MediatorError } from '../domain/errors.js';

export interface AuthSettings {
  mode: 'basic' | 'bearer' | 'off';
  username?: string;
  password?: string;
  bearerToken?: string;
}

/** Paths anyone may call: liveness, and the CapabilityStatement FHIR clients fetch before logging in. */
const OPEN_PATHS = [/^\/health(\?.*)?$/, /^\/fhir(\/R5)?\/metadata(\?.*)?$/];

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether two strings are equal, in time that depends on their length only (not on where they
 * differ): every code unit is compared, the differences gathered without a branch.
 */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let differ = 0;
  for (let i = 0; i < a.length; i++) differ |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return differ === 0;
}

/**
 * `scheme credentials` of an Authorization header. The scheme is case-insensitive and may be
 * followed by several spaces (RFC 7235 §2.1: auth-scheme is a token, compared case-insensitively).
 */
export function parseAuthorization(header: string): { scheme: string; credentials: string } | undefined {
  const m = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+) +(\S+) *$/.exec(header);
  return m ? { scheme: m[1].toLowerCase(), credentials: m[2] } : undefined;
}

/** Returns the authenticated actor, or undefined. Secrets are compared in constant time. */
export function authenticate(header: string | undefined, auth: AuthSettings): string | undefined {
  const parsed = header ? parseAuthorization(header) : undefined;
  if (!parsed || parsed.scheme !== auth.mode) return undefined;
  if (auth.mode === 'basic') {
    const decoded = Buffer.from(parsed.credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    if (colon > 0 && same(user, auth.username ?? '') && same(decoded.slice(colon + 1), auth.password ?? ''))
      return user;
  }
  if (auth.mode === 'bearer' && same(parsed.credentials, auth.bearerToken ?? '')) return 'bearer-client';
  return undefined;
}

/** Most accepted Authorization headers remembered (a mediator has a handful of clients). */
export const ACCEPTED_HEADERS_LIMIT = 256;

/**
 * Authorization headers already accepted under the current credentials, so a client's every
 * request does not decode and compare its credentials again. Keyed by the SHA-256 of the header:
 * the map holds no credential, and a lookup compares digests, which tell an attacker nothing
 * about the secret. Only acceptances are kept (a refusal is always checked in full); the whole
 * map is dropped when the configured credentials change (a settings reload, a new password from
 * the OpenHIM console), and it is bounded (the oldest entry goes first).
 */
export class AcceptedHeaders {
  private readonly actors = new Map<string, string>();
  /** The credentials the map was made under: private, so an inspection or a log of this object shows no password. */
  #credentials: AuthSettings | undefined;
  /**
   * The header accepted last, and its actor: most requests carry it (through OpenHIM every
   * request comes from its one client), and comparing it in constant time costs a fraction of
   * the header's digest (issue 18: SHA-256 ~6k instructions per request, callgrind). It is an
   * accepted header, so it holds the configured credentials, which the settings hold anyway; a
   * private field, so no inspection or log of this object shows it. Dropped with the rest.
   */
  #last: { header: string; actor: string } | undefined;

  constructor(private readonly limit = ACCEPTED_HEADERS_LIMIT) {}

  /** The actor of an accepted header, checking it in full (and remembering it) the first time. */
  authenticate(header: string | undefined, auth: AuthSettings): string | undefined {
    if (!header) return undefined;
    this.forgetIfChanged(auth);
    const last = this.#last;
    if (last !== undefined && sameText(header, last.header)) return last.actor;
    const key = hash('sha256', header, 'base64');
    const known = this.actors.get(key);
    if (known !== undefined) return this.accepted(header, known);
    const actor = authenticate(header, auth);
    if (actor === undefined) return undefined;
    if (this.actors.size >= this.limit) this.actors.delete(this.actors.keys().next().value!);
    this.actors.set(key, actor);
    return this.accepted(header, actor);
  }

  private accepted(header: string, actor: string): string {
    this.#last = { header, actor };
    return actor;
  }

  get size(): number {
    return this.actors.size;
  }

  private forgetIfChanged(auth: AuthSettings): void {
    const was = this.#credentials;
    if (
      was &&
      was.mode === auth.mode &&
      was.username === auth.username &&
      was.password === auth.password &&
      was.bearerToken === auth.bearerToken
    )
      return;
    this.actors.clear();
    this.#last = undefined;
    this.#credentials = { ...auth };
  }
}

/**
 * Inbound authentication, on unless explicitly turned off. Settings are read per request so a new
 * password from the OpenHIM console applies without a restart.
 */
export function registerAuth(app: FastifyInstance, current: () => AuthSettings): void {
  app.decorateRequest('actor', undefined);
  const accepted = new AcceptedHeaders();
  // a callback hook: nothing here waits, and a promise per request is not free
  app.addHook('onRequest', (request: FastifyRequest & { actor?: string }, reply, done) => {
    try {
      checkRequest(request, reply, current(), accepted);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
}

/** Sets request.actor, or throws the 401 (with its challenge) for a request that must authenticate. */
function checkRequest(
  request: FastifyRequest & { actor?: string },
  reply: FastifyReply,
  auth: AuthSettings,
  accepted: AcceptedHeaders,
): void {
  if (auth.mode === 'off' || OPEN_PATHS.some((p) => p.test(request.url))) return;
  if (request.url.startsWith('/admin')) return; // the admin plugin checks its own token
  const actor = accepted.authenticate(request.headers.authorization, auth);
  if (!actor) {
    reply.header('WWW-Authenticate', auth.mode === 'basic' ? 'Basic realm="fhir-supply-mediator"' : 'Bearer');
    // an unauthenticated client gets no kept-alive connection to hold open
    reply.header('Connection', 'close');
    const given = request.headers.authorization;
    const diagnostics = !given
      ? `Authentication required (${auth.mode}): no Authorization header`
      : parseAuthorization(given)?.scheme !== auth.mode
        ? `Authentication required: the Authorization scheme must be ${auth.mode === 'basic' ? 'Basic' : 'Bearer'}`
        : 'Authentication failed: the credentials are not accepted';
    throw new MediatorError(401, { code: 'login', diagnostics, expression: ['Authorization'] });
  }
  request.actor = actor;
}
