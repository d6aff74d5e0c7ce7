/**
 * The console cookie outlives the idle time (it lasts the session's 24 h; 19304bb), so a browser
 * still sends it after 8 h without a request, when the server has ended the session. The end must
 * stay clean: a page view goes to sign-in once (no loop: the sign-in page is served whatever
 * cookie comes with it), a form sent with the old cookie changes nothing (401, the session-ended
 * page), and signing in again replaces the cookie. Sessions in the store, on both engines.
 */
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';
import { IDLE_MS, storeSessions } from '../../../src/admin/ui/session.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'console-idle-end-token';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t: Test) => {
    const { store } = await freshStore(engine, t);
    const clock = { now: Date.UTC(2026, 0, 1, 8) };
    const app = Fastify();
    await app.register(formbody);
    await app.register(
      operatorConsole,
      consoleOptions({ adminToken: () => TOKEN, sessions: storeSessions(store), now: () => clock.now }),
    );
    t.teardown(() => app.close());
    const signIn = async () => {
      const r = await app.inject({
        method: 'POST',
        url: '/admin/ui/login',
        headers: form,
        payload: new URLSearchParams({ user: 'Ann Operator', token: TOKEN, next: '/admin/ui/systems' }).toString(),
      });
      t.equal(r.statusCode, 303);
      return String(r.headers['set-cookie']).split(';')[0];
    };
    const old = await signIn();
    const systems = (cookie: string) => app.inject({ method: 'GET', url: '/admin/ui/systems', headers: { cookie } });
    t.equal((await systems(old)).statusCode, 200, 'signed in');
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await systems(old)).body)?.[1] ?? '';
    t.ok(csrf, 'the page carries its form token');

    clock.now += IDLE_MS + 1000; // a night away: the browser keeps the cookie, the server ends the session

    const away = await systems(old);
    t.equal(away.statusCode, 303, 'a page view goes to sign-in');
    t.equal(away.headers.location, '/admin/ui/login?next=%2Fadmin%2Fui%2Fsystems');
    const login = await app.inject({ method: 'GET', url: String(away.headers.location), headers: { cookie: old } });
    t.equal(login.statusCode, 200, 'the sign-in page is served with the old cookie: no loop');
    const logout = await app.inject({
      method: 'POST',
      url: '/admin/ui/logout',
      headers: { ...form, cookie: old },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    t.equal(logout.statusCode, 401, 'a form sent with the old cookie is the session-ended page');

    const fresh = await signIn();
    t.not(fresh, old, 'signing in again gives a new cookie');
    t.equal((await systems(fresh)).statusCode, 200, 'and the pages again');
    t.equal((await systems(old)).statusCode, 303, 'the old cookie stays no session');
  });
}
