import type { FastifyInstance } from 'fastify';
import { basicClient, oauthError, tokenResponse } from '../auth.js';
import type { SandboxContext } from '../context.js';
import { one, type Query } from '../query.js';

/** openlmis-auth: token, check_token, logout (reference §1). Params as query or form fields. */
export function registerAuthRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const param = (req: { query: unknown; body: unknown }, name: string) =>
    one(req.query as Query, name) ?? one((req.body && typeof req.body === 'object' ? req.body : {}) as Query, name);

  app.post('/api/oauth/token', async (req, reply) => {
    const client = basicClient(req, ctx.store.seed.clients);
    const grant = param(req, 'grant_type');
    if (!grant) throw oauthError(400, 'invalid_request', 'Missing grant type');
    if (!['password', 'client_credentials', 'authorization_code', 'implicit', 'refresh_token'].includes(grant))
      throw oauthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grant}`);
    if (!client.grants.includes(grant)) throw oauthError(401, 'invalid_client', `Unauthorized grant type: ${grant}`);
    if (grant === 'password') {
      const user = ctx.store.seed.users.find((u) => u.username === param(req, 'username'));
      if (!user || user.password !== param(req, 'password') || !user.active)
        throw oauthError(400, 'invalid_grant', 'Bad credentials');
      const record = ctx.tokens.issue('user', client.clientId, user);
      return reply.send(tokenResponse(record, ctx.tokens.now()));
    }
    const apiKey = ctx.store.seed.apiKeys.find((k) => k.clientId === client.clientId);
    if (apiKey)
      return reply.send(tokenResponse({ token: apiKey.token, kind: 'apikey', expiresAt: null }, ctx.tokens.now()));
    const record = ctx.tokens.issue('service', client.clientId);
    return reply.send(tokenResponse(record, ctx.tokens.now()));
  });

  app.post('/api/oauth/check_token', async (req, reply) => {
    basicClient(req, ctx.store.seed.clients);
    const token = param(req, 'token') ?? '';
    const principal = ctx.tokens.check(token);
    if (!principal)
      return reply.code(400).send({ error: 'invalid_token', error_description: 'Token was not recognised' });
    const record = ctx.tokens.peek(token)!;
    return reply.send({
      aud: ['auth', 'referencedata', 'requisition', 'fulfillment', 'stockmanagement'],
      user_name: principal.user?.username ?? principal.clientId,
      referenceDataUserId: principal.user?.id,
      scope: ['read', 'write'],
      exp: record.expiresAt === null ? undefined : Math.floor(record.expiresAt / 1000),
      authorities: principal.user ? ['USER'] : ['TRUSTED_CLIENT'],
      client_id: principal.clientId,
    });
  });

  app.post('/api/users/auth/logout', async (req, reply) => {
    const principal = ctx.auth(req);
    ctx.tokens.revoke(principal.token);
    return reply.send('');
  });
}
