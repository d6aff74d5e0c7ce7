import type { FastifyInstance, FastifyRequest } from 'fastify';
import { springDefaultError } from './errors.js';

/**
 * The `echoSecrets` fault: a careless server (or a proxy in front of it) that repeats what it was
 * sent when it refuses a request. The error body carries the Authorization header as sent, the
 * Basic credentials decoded, the session cookie, the raw query string (the OAuth password grant
 * sends the password there, URL-encoded) and the request body; a `WWW-Authenticate` challenge
 * repeats the credential too, as Spring's invalid_token challenge does with a refused token; a
 * redirect (3xx) carries all of it in its `Location`, as a login page's `?from=` does. Used to
 * prove the mediator never passes any of it on (responses, OpenHIM, logs, stored errors).
 * The DHIS2 and OpenMRS sandboxes answer it in their own error shapes (`registerEchoSecrets`'s
 * `shape`); the Open mSupply sandbox, which is no Fastify app, uses `echoedText`.
 *
 * Marked in the onRequest fault hook, answered in preHandler once the body has been parsed.
 */
const pending = new WeakMap<FastifyRequest['raw'], number>();

export function markEchoSecrets(request: FastifyRequest, status: number): void {
  pending.set(request.raw, status);
}

/** What a request carried that could be a credential. */
export interface SentCredentials {
  url: string;
  authorization?: string;
  cookie?: string;
  /** the body as sent (parsed JSON, a form's text …) */
  body?: unknown;
}

function basicPair(authorization: string): { user: string; password: string } | undefined {
  const match = /^basic\s+(\S+)/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Header values must be visible ASCII and spaces: anything else is replaced, as a proxy would. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').replace(/"/g, "'");
}

function queryOf(url: string): string {
  return url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
}

/** One line repeating everything the request carried that could be a credential. */
export function echoedText(sent: SentCredentials): string {
  const authorization = sent.authorization ?? '';
  const pair = basicPair(authorization);
  const body = sent.body === undefined ? '' : typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body);
  return [
    `refused Authorization: ${authorization}`,
    pair ? `user ${pair.user} password ${pair.password}` : '',
    sent.cookie ? `cookie ${sent.cookie}` : '',
    `query ${queryOf(sent.url)}`,
    `body ${body}`,
  ]
    .filter(Boolean)
    .join('; ');
}

/** The fields beside the message: each credential on its own, as a debug page lists them. */
export function echoedFields(sent: SentCredentials): Record<string, unknown> {
  const authorization = sent.authorization ?? '';
  return {
    authorization,
    credentials: basicPair(authorization) ?? null,
    cookie: sent.cookie ?? null,
    query: queryOf(sent.url),
    body: sent.body ?? null,
  };
}

/** The challenge header repeating the credential (Basic pair decoded, or the token as sent). */
export function echoedChallenge(sent: SentCredentials, realm: string): string {
  const authorization = sent.authorization ?? '';
  const pair = basicPair(authorization);
  const description = headerSafe(
    pair
      ? `Bad credentials ${pair.user}:${pair.password} (${authorization})`
      : `Invalid access token: ${authorization.replace(/^\S+\s+/, '')} ${sent.cookie ?? ''}`.trim(),
  );
  return `${pair ? 'Basic' : 'Bearer'} realm="${realm}", error="invalid_token", error_description="${description}"`;
}

/** A login page's address that sends the caller back, everything it sent in its `from`. */
export function echoedLocation(sent: SentCredentials, loginPath: string): string {
  return `${loginPath}?from=${encodeURIComponent(sent.url)}&said=${encodeURIComponent(echoedText(sent))}`;
}

/** The body of the echo in a system's own error shape. */
export type EchoShape = (status: number, path: string, said: string) => Record<string, unknown>;

export interface EchoOptions {
  realm?: string;
  shape?: EchoShape;
  /** where a 3xx echo points (its query carries the echo) */
  loginPath?: string;
}

function sentBy(request: FastifyRequest): SentCredentials {
  return {
    url: request.url,
    authorization: request.headers.authorization,
    cookie: request.headers.cookie,
    body: request.body,
  };
}

/**
 * What the careless server says back: everything the request carried that could be a credential,
 * and, as a login filter does, where to sign in again (the same, percent-encoded in a URL).
 */
export function echoBody(request: FastifyRequest, status: number, shape: EchoShape = springDefaultError) {
  const sent = sentBy(request);
  const said = `${echoedText(sent)}; sign in again at ${echoedLocation(sent, '/login')}`;
  return { ...shape(status, request.url.split('?')[0], said), ...echoedFields(sent) };
}

export function registerEchoSecrets(app: FastifyInstance, options: EchoOptions = {}): void {
  app.addHook('preHandler', async (request, reply) => {
    const status = pending.get(request.raw);
    if (status === undefined) return undefined;
    pending.delete(request.raw);
    const sent = sentBy(request);
    reply.code(status).header('www-authenticate', echoedChallenge(sent, options.realm ?? 'openlmis'));
    if (status < 300 || status >= 400) return reply.send(echoBody(request, status, options.shape));
    // a redirect names where it goes in its body too ("Found. Redirecting to …")
    const location = echoedLocation(sent, options.loginPath ?? '/login');
    return reply.header('location', location).send({ ...echoBody(request, status, options.shape), redirect: location });
  });
}
