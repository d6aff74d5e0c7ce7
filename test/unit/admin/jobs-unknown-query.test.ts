/**
 * `GET /admin/jobs` took its query as the other admin lists did before they were made strict: a
 * typo (`?limt=1`) was dropped by the schema and the default page answered as if it were the one
 * asked for. It is now a 400 naming the parameter and the one the list takes, as the review queue,
 * the outbox list and the propagation list answer. Real job runs in the store, on both engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { jobsAdminRoutes } from '../../../src/admin/jobs-routes.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'jobs-query-token';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const scheduler = new Scheduler({
      store,
      jobs: [{ name: 'tidy', setting: 'schedules.tidy', description: 'tidy up', run: async () => undefined }],
      expression: () => undefined,
    });
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(jobsAdminRoutes, { prefix: '/admin', store, scheduler, adminToken: TOKEN });
    t.teardown(() => app.close());
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
    for (let i = 0; i < 3; i++)
      t.equal(
        (
          await app.inject({
            method: 'POST',
            url: '/admin/jobs/tidy/run',
            headers: { authorization: `Bearer ${TOKEN}` },
          })
        ).statusCode,
        200,
      );

    const typo = await get('/admin/jobs?limt=1');
    t.equal(typo.statusCode, 400, 'a misspelt parameter is refused');
    t.same(typo.json().issue[0].expression, ['limt'], 'naming it');
    t.match(typo.json().issue[0].diagnostics, /query parameter 'limt' is not one this list takes \(limit\)/);

    const right = await get('/admin/jobs?limit=1');
    t.equal(right.statusCode, 200);
    t.equal(right.json().jobs[0].lastRuns.length, 1, 'the parameter spelt right pages');
    t.equal((await get('/admin/jobs')).json().jobs[0].lastRuns.length, 3, 'none: the default page');
  });
}
