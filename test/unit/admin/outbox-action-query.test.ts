/**
 * A retry or drop guarded by the status the caller saw (`?status=dead`) with that parameter
 * misspelt (`?stauts=dead`) lost its guard: the schema dropped the unknown parameter and the
 * action went ahead unconditionally, so a drop meant for a dead job dropped the job a colleague had
 * retried meanwhile (pending again, about to be delivered). Now a 400 naming the parameter, and
 * nothing is done. Through the admin API on both store engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { deadJob } from '../../support/claimed-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'action-query-token';
const AUTH = { authorization: `Bearer ${TOKEN}`, 'x-admin-user': 'Ann' };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    t.teardown(() => app.close());
    const act = (method: 'POST' | 'DELETE', url: string) => app.inject({ method, url, headers: AUTH });
    const auditOf = async (id: string) => (await store.listAudit({ subject: id })).map((a) => a.action);

    await t.test('a drop with its guard misspelt drops nothing', async (t) => {
      await deadJob(store, 'Q1');
      // a colleague retried it: pending again
      t.equal((await act('POST', '/admin/outbox/jobs/Q1/retry?status=dead')).statusCode, 200);
      const before = await auditOf('Q1');
      const r = await act('DELETE', '/admin/outbox/jobs/Q1?stauts=dead');
      t.equal(r.statusCode, 400, 'refused');
      t.same(r.json().issue[0].expression, ['stauts'], 'naming the parameter');
      t.match(
        r.json().issue[0].diagnostics,
        /'stauts' is not one this action takes \(status, updatedAt\); nothing was done/,
      );
      t.equal((await store.getJob('Q1'))?.status, 'pending', 'the retried job is still pending');
      t.same(await auditOf('Q1'), before, 'and nothing was audited');
    });

    await t.test('a retry with its guard misspelt requeues nothing', async (t) => {
      await deadJob(store, 'Q2');
      const r = await act('POST', '/admin/outbox/jobs/Q2/retry?staus=dead');
      t.equal(r.statusCode, 400);
      t.same(r.json().issue[0].expression, ['staus']);
      t.equal((await store.getJob('Q2'))?.status, 'dead', 'still dead');
      t.notOk((await auditOf('Q2')).includes('outbox.retry'), 'no retry audited');
    });

    await t.test('the guard spelt right, or none, still acts', async (t) => {
      await deadJob(store, 'Q3');
      t.equal((await act('POST', '/admin/outbox/jobs/Q3/retry?status=dead')).statusCode, 200);
      t.equal((await act('DELETE', '/admin/outbox/jobs/Q3')).statusCode, 200);
      t.equal(await store.getJob('Q3'), undefined, 'dropped');
    });
  });
}
