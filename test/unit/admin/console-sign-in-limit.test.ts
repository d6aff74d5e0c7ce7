/**
 * The console's sign-in limit through fastify.inject: failed sign-ins per name and per address,
 * a 429 with Retry-After that counts down, what a success clears, and logs that say who and
 * where but never the token.
 */
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { Writable } from 'node:stream';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';

const TOKEN = 'limit-admin-token-77aa';
const WRONG = 'guessed-token-0001';

async function rig(t: Test) {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const lines: string[] = [];
  const app = Fastify({
    logger: {
      level: 'info',
      stream: new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    },
  });
  await app.register(formbody);
  await app.register(
    operatorConsole,
    consoleOptions({
      adminToken: () => TOKEN,
      signInLimits: { perName: 3, perAddress: 5, windowMs: 60_000 },
      now: () => clock.now,
    }),
  );
  t.teardown(() => app.close());
  const login = (user: string, token: string, ip = '10.0.0.1') =>
    app.inject({
      method: 'POST',
      url: '/admin/ui/login',
      remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ user, token }).toString(),
    });
  return { app, clock, lines, login };
}

t.test('failures per name: the next attempt is refused with 429 and Retry-After, even with the token', async (t) => {
  const { clock, login, lines } = await rig(t);
  for (let i = 0; i < 3; i++) {
    t.equal((await login('Ann', WRONG)).statusCode, 401, `failure ${i + 1}`);
    clock.now += 1000;
  }
  const refused = await login('ann ', TOKEN, '10.0.0.9');
  t.equal(refused.statusCode, 429, 'the name is limited from any address, whatever its case');
  t.equal(refused.headers['retry-after'], '57', 'until the first failure leaves the window');
  t.match(refused.body, /Too many failed sign-ins for the name &quot;ann&quot;: try again in 57 s/);
  t.notOk(refused.headers['set-cookie'], 'no session');
  clock.now += 20_000;
  t.equal((await login('Ann', TOKEN)).headers['retry-after'], '37', 'the wait counts down');
  t.equal((await login('Bob', TOKEN)).statusCode, 303, 'another name signs in');
  clock.now += 37_000;
  t.equal((await login('Ann', TOKEN)).statusCode, 303, 'once the window has moved on, Ann signs in');
  const logged = lines.join('');
  t.match(logged, /console sign-in failed: not the admin token/);
  t.match(logged, /console sign-in refused: too many failures/);
  t.match(logged, /"limit":"name"/);
  t.notOk(logged.includes(WRONG), 'no presented token in the log');
  t.notOk(logged.includes(TOKEN), 'no admin token in the log');
});

t.test('failures per address: other names from that address are refused, other addresses are not', async (t) => {
  const { login } = await rig(t);
  for (const user of ['A1', 'A2', 'A3', 'A4', 'A5']) t.equal((await login(user, WRONG)).statusCode, 401);
  const refused = await login('Newcomer', TOKEN);
  t.equal(refused.statusCode, 429);
  t.equal(refused.headers['retry-after'], '60');
  t.match(refused.body, /from this address/);
  t.equal((await login('Newcomer', TOKEN, '10.0.0.2')).statusCode, 303, 'from elsewhere the same name signs in');
});

t.test("a success clears its name's failures, not the address's", async (t) => {
  const { login } = await rig(t);
  t.equal((await login('Dee', WRONG)).statusCode, 401);
  t.equal((await login('Dee', WRONG)).statusCode, 401);
  t.equal((await login('Dee', TOKEN)).statusCode, 303);
  for (let i = 0; i < 3; i++) t.equal((await login('Dee', WRONG)).statusCode, 401, 'the name starts again');
  t.equal((await login('Dee', TOKEN)).statusCode, 429, 'three more failures: limited');
  t.equal((await login('Eve', TOKEN)).statusCode, 429, 'five failures from the address in all');
});
