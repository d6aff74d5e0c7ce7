import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createUpstreamClient, type UpstreamClient } from '../../../src/upstream/client.js';
import { decodeHttpError, textReason } from '../../../src/upstream/errors.js';
import type { AuthStrategy } from '../../../src/upstream/auth/types.js';
import {
  callsOf,
  createOrchestrationStore,
  runWithOrchestrations,
  type UpstreamCall,
} from '../../../src/platform/call-recording.js';

/**
 * A small upstream on 127.0.0.1:0 that issues credentials the way real systems do (a token from a
 * login, an OAuth2 token, a session cookie) and refuses forgotten ones with 401, plus a client of
 * the shared transport pointed at it. Credentials are random per login, so tests can tell them apart.
 */
export interface Settings {
  baseUrl: string;
  timeoutMs: number;
  concurrency: number;
  username?: string;
  password?: string;
  token?: string;
}

export interface Upstream {
  app: FastifyInstance;
  url: string;
  /** The password the upstream accepts for `user`. */
  passwords: Map<string, string>;
  /** Credentials (full header value, or the cookie value) the upstream accepts now. */
  valid: Set<string>;
  /** Requests per route (`METHOD /path`). */
  hits: (route: string) => number;
  /** Forget every issued credential (expiry, restart). */
  forgetAll: () => void;
  close: () => Promise<void>;
}

const basicPair = (header: string | undefined): [string, string] | undefined => {
  const m = /^Basic (.+)$/.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString();
  const i = text.indexOf(':');
  return [text.slice(0, i), text.slice(i + 1)];
};

export async function startUpstream(extra?: (app: FastifyInstance, u: Upstream) => void): Promise<Upstream> {
  const app = Fastify();
  const counts = new Map<string, number>();
  const u = { app, passwords: new Map([['alice', 'wonderland']]), valid: new Set<string>() } as unknown as Upstream;
  app.addHook('onRequest', async (req) => {
    const route = `${req.method} ${req.url.split('?')[0]}`;
    counts.set(route, (counts.get(route) ?? 0) + 1);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  const passwordOk = (user?: string, password?: string) => !!user && u.passwords.get(user) === password;
  const issue = (prefix: string) => {
    const value = `${prefix}-${randomUUID()}`;
    u.valid.add(value);
    return value;
  };

  // login for a bearer (a REST stand-in for Open mSupply's authToken)
  app.post('/login', async (req: FastifyRequest<{ Body: { username?: string; password?: string } }>, reply) => {
    if (!passwordOk(req.body?.username, req.body?.password))
      return reply.code(401).send({ error: 'InvalidCredentials' });
    return { token: issue('tok') };
  });
  // OAuth2 password grant with client Basic credentials
  app.post('/oauth/token', async (req: FastifyRequest<{ Body: Record<string, string> }>, reply) => {
    const client = basicPair(req.headers.authorization);
    if (!client || client[0] !== 'app' || client[1] !== 'app-secret')
      return reply.code(401).send({ error: 'invalid_client' });
    if (req.body.grant_type !== 'password' || !passwordOk(req.body.username, req.body.password))
      return reply.code(400).send({ error: 'invalid_grant', error_description: 'Bad credentials' });
    return { access_token: issue('oat'), token_type: 'bearer', expires_in: 1800, user_ref: 'u-1' };
  });
  // OpenMRS-style session
  app.get('/ws/rest/v1/session', async (req, reply) => {
    const pair = basicPair(req.headers.authorization);
    if (!pair || !passwordOk(...pair)) return { authenticated: false };
    const session = issue('sess');
    reply.header('set-cookie', `JSESSIONID=${session}; Path=/; HttpOnly`);
    return { authenticated: true, sessionId: session };
  });
  // a protected resource: accepts a valid bearer, a valid session cookie, or a configured static credential
  app.get('/protected', async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    const cookie = /JSESSIONID=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const ok = (bearer && u.valid.has(bearer)) || (cookie && u.valid.has(cookie)) || u.valid.has(auth);
    if (!ok) {
      return reply
        .code(401)
        .header('www-authenticate', `Bearer realm="test", error="invalid_token", error_description="${bearer ?? auth}"`)
        .send({ error: 'invalid_token', error_description: `${bearer ?? auth}` });
    }
    return { ok: true };
  });
  extra?.(app, u);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  u.url = `http://127.0.0.1:${address.port}`;
  u.hits = (route) => counts.get(route) ?? 0;
  u.forgetAll = () => u.valid.clear();
  u.close = () => app.close();
  return u;
}

export function clientFor(
  settings: Settings,
  auth: (s: () => Settings) => AuthStrategy,
  system = 'testsys',
): UpstreamClient<Settings> {
  return createUpstreamClient<Settings>({
    system,
    settings: () => settings,
    auth,
    decodeError: (status, body, method, path) =>
      decodeHttpError(status, body, { system, method, path, reasonOf: (b) => textReason(b) }),
    retryDelayMs: 5,
  });
}

/**
 * The upstream and a client of it signing in as alice (password 'wonderland') through `auth`,
 * `concurrency` calls at a time, 2 s timeout; both closed when `t` ends. `settings` is the live
 * object the client reads, so a test can change a credential under it. `extra` as startUpstream's.
 */
export async function upstreamAsAlice(
  t: { teardown(fn: () => unknown): void },
  auth: (s: () => Settings) => AuthStrategy,
  concurrency: number,
  extra?: (app: FastifyInstance, u: Upstream) => void,
): Promise<{ u: Upstream; settings: Settings; client: UpstreamClient<Settings> }> {
  const u = await startUpstream(extra);
  const settings: Settings = {
    baseUrl: u.url,
    timeoutMs: 2_000,
    concurrency,
    username: 'alice',
    password: 'wonderland',
  };
  const client = clientFor(settings, auth);
  t.teardown(async () => {
    await client.close();
    await u.close();
  });
  return { u, settings, client };
}

/** Runs fn inside an orchestration store and gives back what it recorded (and its result). */
export async function recorded<T>(fn: () => Promise<T>): Promise<{ calls: UpstreamCall[]; result: T }> {
  const store = createOrchestrationStore();
  const result = await runWithOrchestrations(fn, store);
  return { calls: callsOf(store), result };
}

/** The error a promise rejects with (the OpenLMIS client tests' helper). */
export { failure } from '../systems/openlmis/client-harness.js';
