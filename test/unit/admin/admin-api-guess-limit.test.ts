/**
 * The console's sign-in makes guessing the admin token slow (20 failures per address in 15
 * minutes), but the admin API took the same token as a Bearer credential with no limit at all: a
 * guesser skipped the console and tried tokens at network speed. The API now counts wrong tokens
 * per client address over the same window; past 20, every Bearer request from that address, the
 * right token too, is a 429 with Retry-After until the oldest failure leaves the window. Another
 * address is not held, nor is the console's own in-process call, nor a request with no token.
 */
import t from 'tap';
import Fastify from 'fastify';
import { jobsAdminRoutes } from '../../../src/admin/jobs-routes.js';
import { bearerCheck, IN_PROCESS_ADDRESS } from '../../../src/platform/admin-auth.js';

const TOKEN = 'guess-limit-token-9Qz';

t.test('wrong admin tokens from one address: 429 after 20, whatever is sent', async (t) => {
  const app = Fastify();
  app.addHook('preHandler', bearerCheck(TOKEN));
  app.get('/admin/ping', async () => ({ ok: true }));
  t.teardown(() => app.close());
  const ask = (token: string | undefined, remoteAddress = '203.0.113.7') =>
    app.inject({
      method: 'GET',
      url: '/admin/ping',
      remoteAddress,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });

  t.equal((await ask(TOKEN)).statusCode, 200, 'the right token');
  for (let i = 0; i < 20; i++) t.equal((await ask(`guess-${i}`)).statusCode, 401, `guess ${i + 1}: 401`);
  const held = await ask(`guess-20`);
  t.equal(held.statusCode, 429, 'the 21st guess: 429');
  t.ok(Number(held.headers['retry-after']) > 0 && Number(held.headers['retry-after']) <= 900, 'with Retry-After');
  t.match(held.json().issue[0], { code: 'throttled', diagnostics: /too many wrong admin tokens from this address/ });
  t.notMatch(held.body, 'guess-20', 'the guess is not echoed');
  t.equal((await ask(TOKEN)).statusCode, 429, 'the right token too, from that address: the guessing stops');
  t.equal((await ask(TOKEN, '198.51.100.4')).statusCode, 200, 'another address is not held');
  t.equal((await ask(TOKEN, IN_PROCESS_ADDRESS)).statusCode, 200, "the console's in-process call is not held");
  t.equal((await ask(undefined)).statusCode, 401, 'no token at all: the usual 401, nothing guessed');
});

t.test('the limit is on the real admin routes', async (t) => {
  const app = Fastify();
  await app.register(jobsAdminRoutes, { prefix: '/admin', adminToken: TOKEN, scheduler: {} as never } as never);
  t.teardown(() => app.close());
  let last = 0;
  for (let i = 0; i < 21; i++)
    last = (
      await app.inject({
        method: 'GET',
        url: '/admin/jobs',
        remoteAddress: '192.0.2.99',
        headers: { authorization: `Bearer wrong-${i}` },
      })
    ).statusCode;
  t.equal(last, 429);
});
