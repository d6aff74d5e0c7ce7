/**
 * A console decision is answered as made even when its session cannot be written back: other
 * requests of the session changing the row under every one of save's merges (MAX_MERGES). The
 * session is written once the request is answered (onSend), after the decision was stored; save
 * threw there, and the answer became the 500 "something went wrong" page for a decision that was
 * made. Now the answer stands (303 to the queue), the decision is stored and audited, and the lost
 * note (its message, its undo entry) is logged as a warning. Both engines, sessions in the store.
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

const TOKEN = 'contended-token';
const records = [reviewFacility('L4', 'Kasikeu')];

/**
 * Sessions in the store; once `contend()` is called, another request of the session writes the
 * row (a message of its own) just before each of this one's writes, so every write finds it changed.
 */
function contendedSessions(backend: SessionBackend) {
  let others = 0;
  let on = false;
  return {
    sessions: {
      ...backend,
      swap: async (row: Parameters<SessionBackend['swap']>[0], was: Record<string, unknown>) => {
        if (on) {
          const stored = (await backend.get(row.idDigest))!;
          others += 1;
          await backend.put({ ...stored, data: { ...stored.data, flash: { kind: 'ok', text: `other ${others}` } } });
        }
        return backend.swap(row, was);
      },
    } satisfies SessionBackend,
    contend: () => (on = true),
    others: () => others,
  };
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', records, REVIEW_REGISTRY);
    const contended = contendedSessions(storeSessions(store));
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
        sessions: contended.sessions,
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
    contended.contend();
    const answer = await post(form.url, cookie, form.fields);

    t.equal(answer.statusCode, 303, 'answered as decided, not an error page');
    t.equal(answer.headers.location, '/admin/ui/review?system=emr');
    t.ok(contended.others() >= 20, 'every merge found the row changed');
    t.match(await store.getCrosswalk('emr', 'L4'), { state: 'no-match', decidedBy: 'Ann Reviewer' });
    t.equal((await store.listAudit({ subject: 'emr/L4' })).length, 1, 'decided once, audited');
    const warned = logged.filter((l) => /console session not written/.test(l.msg));
    t.equal(warned.length, 1, 'the lost note is logged');
    t.match(warned[0], { level: 40, user: 'Ann Reviewer' });
    t.match(warned[0]?.msg, /message and undo entry are not kept/);
    t.notOk(
      logged.some((l) => l.level >= 50),
      'no unhandled error',
    );
    t.notOk(JSON.stringify(logged).includes(TOKEN), 'the admin token is not logged');
  });
}
