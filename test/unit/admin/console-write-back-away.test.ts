/**
 * A console decision stored just before the mediator's database fails, as its session is written
 * back (onSend: its message and undo entry): the answer was the "database unavailable" page,
 * saying the form was most likely not saved and offering "Send again" (refused then as already
 * decided, but misleading). Now the answer says it was saved and not to send it again; the lost
 * note is logged as a warning; nothing is decided twice. Both engines, sessions in the store.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { storeSessions, type SessionBackend } from '../../../src/admin/ui/session.js';
import { consoleClient, formFields } from '../../support/console-client.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'failing-write-back-token';
const records = [reviewFacility('L4', 'Kasikeu')];

/** Sessions in the store; once `fail()` is called, every session write fails as a database away does. */
function failingSessions(backend: SessionBackend, engine: string) {
  let on = false;
  // as each engine's driver fails: SQLite's busy file, PostgreSQL's server shutting down
  const away = () =>
    engine === 'sqlite'
      ? Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
      : Object.assign(new Error('terminating connection due to administrator command'), {
          code: '57P01',
          severity: 'FATAL',
        });
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

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', records, REVIEW_REGISTRY);
    const failing = failingSessions(storeSessions(store), engine.name);
    const logged: Array<{ level: number; msg: string; user?: string }> = [];
    const app = Fastify({
      logger: { level: 'warn', stream: { write: (line: string) => logged.push(JSON.parse(line)) } },
    });
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
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
    const { signIn, get, post } = consoleClient(app, TOKEN, t);

    const cookie = await signIn('Ann Reviewer');
    const page = await get('/admin/ui/review?system=emr&at=L4', cookie);
    const form = formFields(page.body, /\/review\/decide$/);
    form.fields.set('op', 'no-match');
    failing.fail();
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
