import type { FastifyInstance, FastifyRequest } from 'fastify';
import { springDefaultError } from './errors.js';

/**
 * The `echoSecrets` fault: a careless server (or a proxy in front of it) that repeats what it was
 * sent when it refuses a request. The error body carries the Authorization header as sent, the
 * Basic credentials decoded, the raw query string (the OAuth password grant sends the password
 * there, URL-encoded) and the request body; a `WWW-Authenticate` challenge repeats the credential
 * too, as Spring's invalid_token challenge does with a refused token. Used to prove the mediator
 * never passes any of it on (responses, OpenHIM, logs, stored errors).
 *
 * Marked in the onRequest fault hook, answered in preHandler once the body has been parsed.
 */
const pending = new WeakMap<FastifyRequest['raw'], number>();

export function markEchoSecrets(request: FastifyRequest, status: number): void {
  pending.set(request.raw, status);
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

/** What the careless server says back: everything the request carried that could be a credential. */
export function echoBody(request: FastifyRequest, status: number): Record<string, unknown> {
  const path = request.url.split('?')[0];
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
  const authorization = request.headers.authorization ?? '';
  const pair = basicPair(authorization);
  const body =
    request.body === undefined ? '' : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  const said = [
    `refused Authorization: ${authorization}`,
    pair ? `user ${pair.user} password ${pair.password}` : '',
    `query ${query}`,
    `body ${body}`,
  ]
    .filter(Boolean)
    .join('; ');
  return {
    ...springDefaultError(status, path, said),
    authorization,
    credentials: pair ?? null,
    query,
    body: request.body ?? null,
  };
}

export function registerEchoSecrets(app: FastifyInstance): void {
  app.addHook('preHandler', async (request, reply) => {
    const status = pending.get(request.raw);
    if (status === undefined) return undefined;
    pending.delete(request.raw);
    const authorization = request.headers.authorization ?? '';
    const pair = basicPair(authorization);
    const description = headerSafe(
      pair
        ? `Bad credentials ${pair.user}:${pair.password} (${authorization})`
        : `Invalid access token: ${authorization.replace(/^\S+\s+/, '')}`,
    );
    return reply
      .code(status)
      .header(
        'www-authenticate',
        `${pair ? 'Basic' : 'Bearer'} realm="openlmis", error="invalid_token", error_description="${description}"`,
      )
      .send(echoBody(request, status));
  });
}
