/**
 * A console decision stored just before the mediator's database fails, as its session is written
 * back (onSend: its message and undo entry): the answer was the "database unavailable" page,
 * saying the form was most likely not saved and offering "Send again" (refused then as already
 * decided, but misleading). Now the answer says it was saved and not to send it again; the lost
 * note is logged as a warning; nothing is decided twice. A form the database failed before it
 * was stored (the review API answering 503, the console then answering "Not decided") still gets
 * the unavailable page: it was not saved. Both engines, sessions in the store.
 */
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { storeSessions, type SessionBackend } from '../../../src/admin/ui/session.js';
import { consoleClient, formFields } from '../../support/console-client.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore, type EngineCase } from '../../support/outbox-engines.js';
import type { Store } from '../../../src/store/types.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'failing-write-back-token';
const records = [reviewFacility('L4', 'Kasikeu')];

/** The error each engine's driver fails with as the database goes: SQLite's busy file, PostgreSQL's server shutting down. */
function awayError(engine: string): Error {
  return engine === 'sqlite'
    ? Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    : Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
        severity: 'FATAL',
      });
}

/** Sessions in the store; once `fail()` is called, every session write fails as a database away does. */
function failingSessions(backend: SessionBackend, engine: string) {
  let on = false;
  const away = () => awayError(engine);
  return {
    sessions: {
      ...backend,
      swap: async (row: Parameters<SessionBackend['swap']>[0], was: Record<string, unknown>) => {
        if (on) throw away();
        return backend.swap(row, was);
      },
      put: async (row: Parameters<SessionBackend['put']>[0]) => {
        if (on) throw away();
        return backend.put(row);
      },
    } satisfies SessionBackend,
    fail: () => (on = true),
  };
}

/** The store as the review API sees it: once `fail()` is called, every call fails as a database away does. */
function failingStore(store: Store, engine: string) {
  let on = false;
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (on) return Promise.reject(awayError(engine));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, fail: () => (on = true) };
}

/** A console over the review API, its sessions and (if asked) the API's store failing on `fail()`. */
async function rig(t: Test, engine: EngineCase, apiFails: boolean) {
  const { store } = await freshStore(engine, t);
  await reconcileIntoStore(store, 'emr', records, REVIEW_REGISTRY);
  const failing = failingSessions(storeSessions(store), engine.name);
  const api = failingStore(store, engine.name);
  const logged: Array<{ level: number; msg: string; user?: string }> = [];
  const app = Fastify({
    logger: { level: 'warn', stream: { write: (line: string) => logged.push(JSON.parse(line)) } },
  });
  app.setErrorHandler(fhirErrorHandler);
  await app.register(formbody);
  await app.register(reviewRoutes, { prefix: '/admin', store: api.store, adminToken: () => TOKEN });
  await app.register(
    operatorConsole,
    consoleOptions({
      adminToken: () => TOKEN,
      sessions: failing.sessions,
      directory: {
        registry: async () => new Map(REVIEW_REGISTRY.map((f) => [f.id!, f])),
        system: async () => new Map(records.map((f) => [f.id!, f])),
        systems: () => ['emr'],
      },
    }),
  );
  t.teardown(() => app.close());
  const fail = () => {
    failing.fail();
    if (apiFails) api.fail();
  };
  return { store, app, logged, fail };
}

for (const engine of engineCases()) {
  // the database gone before the decision was stored: the review API answers 503 and the console
  // "Not decided"; the session write-back failing then must not make that "saved, do not send again"
  t.test(
    `${engine.name}: a form not saved, the database failing before it, is not said saved`,
    { skip: engine.skip },
    async (t) => {
      const { store, app, fail } = await rig(t, engine, true);
      const { signIn, get, post } = consoleClient(app, TOKEN, t);
      const cookie = await signIn('Ann Reviewer');
      const page = await get('/admin/ui/review?system=emr&at=L4', cookie);
      const form = formFields(page.body, /\/review\/decide$/);
      form.fields.set('op', 'no-match');
      fail();
      const answer = await post(form.url, cookie, form.fields);

      t.equal(answer.statusCode, 503, 'the unavailable page');
      t.notMatch(answer.body, /What you sent was saved/, 'not said saved');
      t.match(answer.body, /Send again/, 'offered to send it again');
      t.not((await store.getCrosswalk('emr', 'L4'))?.state, 'no-match', 'nothing decided');
      t.equal((await store.listAudit({ subject: 'emr/L4' })).length, 0, 'nothing audited');
    },
  );

  // a form the review API refused (a colleague decided the record since the page was shown): nothing
  // was stored, so the session write-back failing must not make "Not decided" into "saved"
  t.test(
    `${engine.name}: a form refused, the database failing after, is not said saved`,
    { skip: engine.skip },
    async (t) => {
      const { store, app, fail } = await rig(t, engine, false);
      const { signIn, get, post } = consoleClient(app, TOKEN, t);
      const ann = await signIn('Ann Reviewer');
      const annForm = formFields((await get('/admin/ui/review?system=emr&at=L4', ann)).body, /\/review\/decide$/);
      annForm.fields.set('op', 'no-match');
      const bob = await signIn('Bob Reviewer');
      const bobForm = formFields((await get('/admin/ui/review?system=emr&at=L4', bob)).body, /\/review\/decide$/);
      bobForm.fields.set('op', 'no-match');
      t.equal((await post(bobForm.url, bob, bobForm.fields)).statusCode, 303, 'Bob decided first');
      fail();
      const answer = await post(annForm.url, ann, annForm.fields);

      t.notMatch(answer.body, /What you sent was saved|do not send it again/, 'not said saved');
      t.equal(answer.statusCode, 503, 'the unavailable page');
      t.match(
        await store.getCrosswalk('emr', 'L4'),
        { state: 'no-match', decidedBy: 'Bob Reviewer' },
        "Bob's decision stands",
      );
    },
  );

  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, app, logged, fail } = await rig(t, engine, false);
    const { signIn, get, post } = consoleClient(app, TOKEN, t);

    const cookie = await signIn('Ann Reviewer');
    const page = await get('/admin/ui/review?system=emr&at=L4', cookie);
    const form = formFields(page.body, /\/review\/decide$/);
    form.fields.set('op', 'no-match');
    fail();
    const answer = await post(form.url, cookie, form.fields);

    t.equal(answer.statusCode, 200, 'a page of its own, not the 503 unavailable page');
    t.match(answer.body, /What you sent was saved/);
    t.match(answer.body, /do not send it again/);
    t.notMatch(answer.body, /Send again|most likely not saved/, 'no offer to send it again');
    t.match(answer.body, /href="\/admin\/ui\/review\?system=emr"/, 'on to where the answer went');
    t.match(await store.getCrosswalk('emr', 'L4'), { state: 'no-match', decidedBy: 'Ann Reviewer' });
    t.equal((await store.listAudit({ subject: 'emr/L4' })).length, 1, 'decided once, audited');
    const warned = logged.filter((l) => /console session not written/.test(l.msg));
    t.equal(warned.length, 1, 'the lost note is logged');
    t.match(warned[0], { level: 40, user: 'Ann Reviewer' });
    t.notOk(
      logged.some((l) => l.level >= 50),
      'no unhandled error',
    );
    t.notOk(JSON.stringify(logged).includes(TOKEN), 'the admin token is not logged');
  });
}
