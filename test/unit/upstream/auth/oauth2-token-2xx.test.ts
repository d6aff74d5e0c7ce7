/**
 * The token endpoint's answer passed on by a gateway as 201 Created or 203 Non-Authoritative
 * Information: RFC 6749 5.1 says 200, but the body is the token all the same. Found by review S6:
 * only a 200 was taken, so a 201/203 carrying a valid token was read as a gateway's page, every
 * call held as an outage with the login repeated on each attempt. Shared login code + a real HTTP
 * upstream that issues the token it then accepts.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { oauth2PasswordAuth } from '../../../../src/upstream/auth/oauth2-password.js';
import { MASKED } from '../../../../src/upstream/http.js';
import { failure, recorded, type Settings, type Upstream, upstreamAsAlice } from '../harness.js';

const grant = (s: () => Settings) =>
  oauth2PasswordAuth({
    tokenPath: '/gateway/token',
    credentials: () => ({ username: s().username, password: s().password, clientId: 'app', clientSecret: 'x' }),
    missing: 'no user',
    refused: (code, c) => `login as '${c.username}' refused (${code})`,
  });
const get = { method: 'GET' as const, path: '/protected', retry: false };

/** A token endpoint behind a gateway that answers with `status`; alice's token, or a page. */
const gatewayToken = (status: number, answer: 'token' | 'page') => (app: FastifyInstance, u: Upstream) =>
  app.post('/gateway/token', async (_req, reply) => {
    if (answer === 'page') return reply.code(status).send({ message: 'maintenance' });
    const token = `oat-${randomUUID()}`;
    u.valid.add(token);
    return reply.code(status).send({ access_token: token, token_type: 'bearer', expires_in: 1800 });
  });

for (const status of [201, 203]) {
  t.test(`a token answered ${status}: taken, one login for the calls, the token masked`, async (t) => {
    const { u, client } = await upstreamAsAlice(t, grant, 2, gatewayToken(status, 'token'));
    const { calls } = await recorded(() => client.call(get));
    t.same(await client.call(get), { ok: true });
    t.equal(u.hits('POST /gateway/token'), 1, 'one login, not one per attempt');
    t.equal(u.hits('GET /protected'), 2);
    t.equal((calls[0].response?.body as { access_token: string }).access_token, MASKED);
    t.notOk(JSON.stringify(calls).includes([...u.valid][0]), 'the token is in no record');
  });
}

t.test('a 201 without a token is still a page: transient, not a refused login', async (t) => {
  const { client } = await upstreamAsAlice(t, grant, 1, gatewayToken(201, 'page'));
  const err = await failure(client.call(get));
  t.equal(err.transient, true, err.message);
  t.match(err.message, /JSON without 'access_token'/);
});
