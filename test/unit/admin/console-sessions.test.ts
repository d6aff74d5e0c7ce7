/**
 * Console sessions kept in the store: they outlive a restart, instances on one database share
 * them (flash and undo included), they expire (idle and absolute), sign-out deletes them, and
 * the table never holds the cookie or the token. Through fastify.inject on both engines.
 */
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import Database from 'better-sqlite3';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';
import { IDLE_MS, MAX_AGE_MS, storeSessions } from '../../../src/admin/ui/session.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const TOKEN = 'sessions-admin-token-4b1d';

async function consoleApp(t: Test, store: Store, clock?: { now: number }) {
  const app = Fastify();
  await app.register(formbody);
  await app.register(
    operatorConsole,
    consoleOptions({
      adminToken: () => TOKEN,
      sessions: storeSessions(store),
      ...(clock ? { now: () => clock.now } : {}),
    }),
  );
  t.teardown(() => app.close());
  return app;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function signIn(app: Awaited<ReturnType<typeof consoleApp>>, user = 'Ann Operator') {
  const r = await app.inject({
    method: 'POST',
    url: '/admin/ui/login',
    headers: form,
    payload: new URLSearchParams({ user, token: TOKEN, next: '/admin/ui/systems' }).toString(),
  });
  if (r.statusCode !== 303) throw new Error(`sign-in answered ${r.statusCode}`);
  return String(r.headers['set-cookie']).split(';')[0];
}

const systemsPage = (app: Awaited<ReturnType<typeof consoleApp>>, cookie: string) =>
  app.inject({ method: 'GET', url: '/admin/ui/systems', headers: { cookie } });

const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)![1];

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const open = async () => {
      const store = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => store.close());
      return store;
    };
    // one closed by the test itself (a restart): closed once only
    const openUnmanaged = () => openStore({ databaseUrl: db.databaseUrl });

    await t.test('a session outlives a restart of the mediator', async (t) => {
      const first = await openUnmanaged();
      const before = await consoleApp(t, first);
      const cookie = await signIn(before);
      t.equal((await systemsPage(before, cookie)).statusCode, 200);
      await before.close();
      await first.close();
      const after = await consoleApp(t, await open());
      const page = await systemsPage(after, cookie);
      t.equal(page.statusCode, 200, 'still signed in after the restart');
      t.match(page.body, /Ann Operator/, 'as the same person');
    });

    await t.test('two instances share sessions, their flash messages and sign-out', async (t) => {
      const a = await consoleApp(t, await open());
      const b = await consoleApp(t, await open());
      const cookie = await signIn(a);
      const csrf = csrfOf((await systemsPage(a, cookie)).body);
      // a post answered by B leaves a message for the next page, which A shows
      const undo = await b.inject({
        method: 'POST',
        url: '/admin/ui/review/undo',
        headers: { ...form, cookie },
        payload: `_csrf=${encodeURIComponent(csrf)}`,
      });
      t.equal(undo.statusCode, 303, 'B knows the session and its CSRF field');
      const shown = await systemsPage(a, cookie);
      t.match(shown.body, /Nothing to undo/, "A shows the message B's answer left");
      t.notMatch((await systemsPage(a, cookie)).body, /Nothing to undo/, 'once');
      const out = await b.inject({
        method: 'POST',
        url: '/admin/ui/logout',
        headers: { ...form, cookie },
        payload: `_csrf=${encodeURIComponent(csrf)}`,
      });
      t.equal(out.statusCode, 303);
      t.match(String(out.headers['set-cookie']), /console_session=; Max-Age=0/);
      const gone = await systemsPage(a, cookie);
      t.equal(gone.statusCode, 303, 'signed out on B is signed out on A');
      t.match(gone.headers.location, /^\/admin\/ui\/login/);
    });

    await t.test('sessions end after the idle time and after the absolute lifetime', async (t) => {
      const clock = { now: Date.UTC(2026, 0, 1) };
      const app = await consoleApp(t, await open(), clock);
      const idle = await signIn(app);
      clock.now += IDLE_MS - 1000;
      t.equal((await systemsPage(app, idle)).statusCode, 200, 'just inside the idle time');
      clock.now += IDLE_MS + 1000;
      t.equal((await systemsPage(app, idle)).statusCode, 303, 'idle too long');
      const busy = await signIn(app);
      let kept = 0;
      for (let h = 1; h * 3600_000 < MAX_AGE_MS; h++) {
        clock.now += 3600_000;
        if ((await systemsPage(app, busy)).statusCode === 200) kept++;
      }
      t.equal(kept, MAX_AGE_MS / 3600_000 - 1, 'kept alive by use, hour after hour');
      clock.now += 3600_000 + 1000;
      t.equal((await systemsPage(app, busy)).statusCode, 303, 'not past the absolute lifetime');
      t.equal((await systemsPage(app, busy)).statusCode, 303, 'and the row is gone, not just refused once');
    });

    if (engine.name === 'sqlite') {
      await t.test('the table holds neither the cookie nor the token', async (t) => {
        const store = await open();
        const app = await consoleApp(t, store);
        const cookie = await signIn(app, 'Table Reader');
        const value = cookie.split('=')[1];
        const file = db.databaseUrl.slice('sqlite:'.length);
        const raw = new Database(file, { readonly: true });
        t.teardown(() => raw.close());
        const rows = raw.prepare("SELECT * FROM console_sessions WHERE user_name = 'Table Reader'").all();
        t.equal(rows.length, 1, 'one row for the session');
        const text = JSON.stringify(rows);
        t.notOk(text.includes(value), 'no cookie value');
        t.notOk(text.includes(TOKEN), 'no admin token');
      });
    }
  });
}
