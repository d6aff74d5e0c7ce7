/**
 * Who acts, as an admin API caller names it (X-Actor, a body's `actor`, X-Admin-User), went into
 * the audit trail and the crosswalk row's decidedBy as given: a name thousands of characters long,
 * or one holding a line break or an escape, was stored with every decision it signed. Such a name
 * is now a 400 naming where it came from, and nothing is decided, undone, retried or audited.
 * Through the admin API on both store engines.
 */
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { deadJob } from '../../support/claimed-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

const TOKEN = 'actor-name-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(
      store,
      'emr',
      [fac('L4', 'Kasikeu', 'Kilome', 'Makueni')],
      [fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'), fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni')],
    );
    await deadJob(store, 'A1');
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    t.teardown(() => app.close());
    const before = await store.getCrosswalk('emr', 'L4');
    const audited = async () => (await store.listAudit({})).length;
    const auditedBefore = await audited();
    const nothingDone = async (t: Test) => {
      t.same(await store.getCrosswalk('emr', 'L4'), before, 'the record is as it was');
      t.equal((await store.getJob('A1'))?.status, 'dead', 'the job too');
      t.equal(await audited(), auditedBefore, 'nothing audited');
    };

    await t.test('a decision by a name thousands of characters long', async (t) => {
      const r = await app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L4/flag',
        headers: { ...AUTH, 'x-actor': 'a'.repeat(5000) },
        payload: { comment: 'check' },
      });
      t.equal(r.statusCode, 400);
      t.same(r.json().issue[0].expression, ['actor']);
      t.match(r.json().issue[0].diagnostics, /actor is 5000 characters long; a name is at most 200/);
      await nothingDone(t);
    });

    await t.test("a decision by a body's actor with a line break", async (t) => {
      const r = await app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L4/flag',
        headers: AUTH,
        payload: { comment: 'check', actor: 'ann\n2026-12-06 review.accept by bob' },
      });
      t.equal(r.statusCode, 400);
      t.same(r.json().issue[0].expression, ['actor']);
      t.match(r.json().issue[0].diagnostics, /control character/);
      await nothingDone(t);
    });

    await t.test('an undo by a name with a tab', async (t) => {
      const r = await app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L4/undo',
        headers: { ...AUTH, 'x-actor': 'ann\tforged' },
      });
      t.equal(r.statusCode, 400);
      t.same(r.json().issue[0].expression, ['actor']);
      await nothingDone(t);
    });

    await t.test('an outbox retry by such a name', async (t) => {
      const r = await app.inject({
        method: 'POST',
        url: '/admin/outbox/jobs/A1/retry',
        headers: { ...AUTH, 'x-admin-user': 'ann\tforged' },
      });
      t.equal(r.statusCode, 400);
      t.same(r.json().issue[0].expression, ['X-Admin-User']);
      await nothingDone(t);
    });

    await t.test('an ordinary name acts', async (t) => {
      const r = await app.inject({
        method: 'POST',
        url: '/admin/outbox/jobs/A1/retry',
        headers: { ...AUTH, 'x-admin-user': 'Ann Operator' },
      });
      t.equal(r.statusCode, 200);
      t.match(await store.listAudit({ subject: 'A1' }), [{ actor: 'Ann Operator', action: 'outbox.retry' }]);
    });
  });
}
