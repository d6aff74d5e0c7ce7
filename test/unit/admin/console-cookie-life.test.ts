/**
 * The session cookie lives as long as the session can: an operator who keeps working is signed in
 * until the absolute lifetime (24 h), not thrown out by the browser 8 h after sign-in because the
 * cookie was given the idle time as its Max-Age and never renewed. The idle time is the server's
 * to enforce (the row's lastSeen). A browser-like jar honours Max-Age on the test clock; sessions
 * in the store, on both engines.
 */
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';
import { IDLE_MS, MAX_AGE_MS, storeSessions } from '../../../src/admin/ui/session.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const TOKEN = 'cookie-life-admin-token-77c2';
const HOUR = 3600_000;

/** What a browser keeps of the console cookie: its value until Max-Age runs out (on the test clock). */
function cookieJar(clock: { now: number }) {
  let held: { value: string; until: number } | undefined;
  return {
    take(setCookie: string | string[] | number | undefined) {
      if (setCookie === undefined) return;
      const text = String(setCookie);
      const value = /^console_session=([^;]*)/.exec(text)?.[1] ?? '';
      const maxAge = Number(/Max-Age=(\d+)/.exec(text)?.[1] ?? 0);
      held = value && maxAge > 0 ? { value, until: clock.now + maxAge * 1000 } : undefined;
    },
    header(): Record<string, string> {
      return held && clock.now < held.until ? { cookie: `console_session=${held.value}` } : {};
    },
  };
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t: Test) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    const clock = { now: Date.UTC(2026, 0, 1, 8) };
    const app = Fastify();
    await app.register(formbody);
    await app.register(
      operatorConsole,
      consoleOptions({ adminToken: () => TOKEN, sessions: storeSessions(store), now: () => clock.now }),
    );
    t.teardown(() => app.close());
    const jar = cookieJar(clock);
    const visit = async () => {
      const r = await app.inject({ method: 'GET', url: '/admin/ui/systems', headers: jar.header() });
      jar.take(r.headers['set-cookie']);
      return r;
    };

    const signIn = await app.inject({
      method: 'POST',
      url: '/admin/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ user: 'Ann Operator', token: TOKEN, next: '/admin/ui/systems' }).toString(),
    });
    t.equal(signIn.statusCode, 303);
    jar.take(signIn.headers['set-cookie']);

    await t.test('an operator at work all day stays signed in until the absolute lifetime', async (t) => {
      const signedInAt = clock.now;
      const out: number[] = [];
      while (clock.now + HOUR < signedInAt + MAX_AGE_MS) {
        clock.now += HOUR;
        const r = await visit();
        if (r.statusCode !== 200) out.push((clock.now - signedInAt) / HOUR);
      }
      t.same(out, [], 'no hour of the working day found the browser without its session cookie');
      t.ok(clock.now - signedInAt > IDLE_MS, 'checked past the idle time');
      clock.now = signedInAt + MAX_AGE_MS + 1000;
      const late = await visit();
      t.equal(late.statusCode, 303, 'past the absolute lifetime the session is over');
      t.match(String(late.headers.location), /^\/admin\/ui\/login/);
    });

    await t.test('the cookie outlives no session: Max-Age at most the absolute lifetime', async (t) => {
      const again = await app.inject({
        method: 'POST',
        url: '/admin/ui/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ user: 'Ben Operator', token: TOKEN, next: '/admin/ui/systems' }).toString(),
      });
      const maxAge = Number(/Max-Age=(\d+)/.exec(String(again.headers['set-cookie']))?.[1]);
      t.ok(maxAge * 1000 <= MAX_AGE_MS, `Max-Age ${maxAge} s is within ${MAX_AGE_MS / 1000} s`);
    });
  });
}
