/**
 * The outbox page's job list when the admin API refuses it. A filter naming no system (a typo in a
 * bookmarked `?system=dhsi2`, a system unconfigured since whose jobs are gone) is a 404 from
 * `/admin/outbox/jobs`; the console drew that as "No job matches.", read as "nothing queued
 * there", the very reading the API's 404 exists to prevent. The page now says the list was
 * refused and why, and draws no empty list. Jobs in the store, on both engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { deadJob } from '../../support/claimed-job.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'list-refused-token';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(outboxAdminRoutes, {
      prefix: '/admin',
      store,
      adminToken: TOKEN,
      systems: () => ['openlmis'],
    });
    await app.register(operatorConsole, consoleOptions({ adminToken: () => TOKEN }));
    t.teardown(() => app.close());
    const login = await app.inject({
      method: 'POST',
      url: '/admin/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ user: 'Olu Operator', token: TOKEN }).toString(),
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const outbox = (q: string) => app.inject({ method: 'GET', url: `/admin/ui/outbox${q}`, headers: { cookie } });
    await deadJob(store, 'J1');

    await t.test('a filter naming no system says so, not "No job matches"', async (t) => {
      const page = await outbox('?system=dhsi2');
      t.equal(page.statusCode, 200, 'the page, with the rest of the outbox');
      t.notMatch(page.body, /No job matches/, 'no empty list drawn');
      t.match(
        page.body,
        /<p role="alert" class="flash error" data-testid="list-refused">The job list was refused \(404\): no system &#39;dhsi2&#39;: configured: openlmis/,
        'the refusal, with the systems configured',
      );
      t.match(page.body, /data-job="J1"/, 'the dead letters are still shown');
    });

    await t.test('a filter naming a system with jobs lists them', async (t) => {
      const page = await outbox('?system=sys-J1');
      t.notMatch(page.body, /list-refused/);
      t.match(page.body, /Jobs 1–1/);
    });
  });
}
