/**
 * Two people signed in to the console under one name (console "Sent twice", sent-twice.ts): the
 * same decision sent by each on one record. The second is refused as stale (409, "by <that
 * name>"), and the record is exactly what its form asked for; it used to be told "Sent twice:
 * your first send decided", a decision a colleague made. Decisions now carry the session they
 * were made in (crosswalk.decided_in, v67): only the session that decided is told so. Through
 * fastify.inject on both store engines, with the sessions kept in the store.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { storeSessions } from '../../../src/admin/ui/session.js';
import { consoleClient, formFields } from '../../support/console-client.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'same-name-token';
const records = [reviewFacility('L4', 'Kasikeu'), reviewFacility('L6', 'Kasikeu Annex Post')];

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', records, REVIEW_REGISTRY);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    await app.register(
      operatorConsole,
      consoleOptions({
        adminToken: () => TOKEN,
        sessions: storeSessions(store),
        directory: {
          registry: async () => new Map(REVIEW_REGISTRY.map((f) => [f.id!, f])),
          system: async () => new Map(records.map((f) => [f.id!, f])),
          systems: () => ['emr'],
        },
      }),
    );
    t.teardown(() => app.close());
    const { signIn, get, post } = consoleClient(app, TOKEN, t);
    const decideForm = async (cookie: string, systemId: string, op: string) => {
      const page = await get(`/admin/ui/review?system=emr&at=${systemId}`, cookie);
      const form = formFields(page.body, /\/review\/decide$/);
      t.equal(form.fields.get('systemId'), systemId);
      form.fields.set('op', op);
      return form;
    };

    await t.test('a colleague of the same name sending the same decision is "Not decided"', async (t) => {
      const first = await signIn('Fay Reviewer');
      const second = await signIn('Fay Reviewer');
      const mine = await decideForm(first, 'L6', 'no-match');
      const theirs = await decideForm(second, 'L6', 'no-match');
      t.equal((await post(mine.url, first, mine.fields)).headers.location, '/admin/ui/review?system=emr');
      const decided = await store.getCrosswalk('emr', 'L6');
      t.match(decided, { state: 'no-match', decidedBy: 'Fay Reviewer' });
      t.match(decided?.decidedIn, /^[0-9a-f]{32}$/, 'the decision names the session it was made in');

      const answer = await post(theirs.url, second, theirs.fields);
      t.equal(answer.headers.location, '/admin/ui/review?system=emr&at=L6', 'back to the record as it is');
      const shown = await get('/admin/ui/systems', second);
      t.match(
        shown.body,
        /Not decided \(409\): emr\/L6 changed since it was shown: now &#39;no-match&#39;, by Fay Reviewer/,
      );
      t.notMatch(shown.body, /Sent twice/, 'not told a decision of theirs was made');
      t.same(await store.getCrosswalk('emr', 'L6'), decided, 'nothing changed');

      // the session that decided, sending its form again (a double click's second send): "Sent twice"
      t.equal((await post(mine.url, first, mine.fields)).headers.location, '/admin/ui/review?system=emr');
      t.match((await get('/admin/ui/systems', first)).body, /Sent twice: your first send decided L6/);
    });

    await t.test('a malformed session tag through the API is a 400 and decides nothing', async (t) => {
      const before = await store.getCrosswalk('emr', 'L4');
      const res = await app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L4/no-match',
        headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'Gus', 'x-console-session': 'not-a-tag' },
        payload: {},
      });
      t.equal(res.statusCode, 400);
      t.match(res.json(), {
        resourceType: 'OperationOutcome',
        issue: [
          { diagnostics: /X-Console-Session must be 32 lowercase hex digits/, expression: ['X-Console-Session'] },
        ],
      });
      t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing decided');
      const api = await app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L4/no-match',
        headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'Gus' },
        payload: {},
      });
      t.equal(api.statusCode, 200);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.decidedIn, undefined, 'an API decision names no session');
    });
  });
}
