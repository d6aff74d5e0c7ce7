/**
 * A bad admin query parameter answers an OperationOutcome naming the parameter (expression) and
 * why, with the values an enumerated one takes, on the routes answered by the admin error answer
 * (propagation) and by the FHIR one (outbox) alike; an unknown `?system=` on /admin/propagation is
 * a 404 naming the configured systems, as the review queue's is (s19-X2 defect 7). Fastify's own
 * text named neither the values nor, as an expression, the parameter; an unknown system read as
 * an empty list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { propagationRoutes } from '../../../src/registry/propagation/routes.js';
import type { Propagator } from '../../../src/registry/propagation/propagator.js';
import { openStore } from '../../../src/store/index.js';
import { JOB_STATUSES, PROPAGATION_STATES } from '../../../src/store/types.js';

const TOKEN = 'query-token';

t.test('bad query parameters and unknown systems, in precise words', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'query-validation-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  t.teardown(() => store.close());
  // a change stored for a system no longer configured: still listed by its name
  await store.putPropagation({
    registryId: 'R-1',
    version: '1',
    system: 'legacy',
    action: 'update',
    state: 'done',
    updatedAt: 1,
  });
  const app = Fastify();
  app.setErrorHandler(fhirErrorHandler);
  await app.register(outboxAdminRoutes, {
    prefix: '/admin',
    store,
    adminToken: TOKEN,
    systems: () => ['openlmis', 'dhis2'],
  });
  await app.register(propagationRoutes, {
    prefix: '/admin',
    store,
    propagator: {} as Propagator,
    adminToken: TOKEN,
    systems: () => ['openlmis', 'dhis2'],
  });
  t.teardown(() => app.close());
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: r.statusCode, body: r.json() };
  };

  const state = await get('/admin/propagation?state=bogus');
  t.equal(state.status, 400);
  t.equal(state.body.resourceType, 'OperationOutcome');
  t.same(state.body.issue[0].expression, ['state'], 'the parameter at fault, as the expression');
  t.equal(
    state.body.issue[0].diagnostics,
    `query parameter 'state' must be one of: ${PROPAGATION_STATES.join(', ')}`,
    'with the values it takes',
  );
  const limit = await get('/admin/propagation?limit=0');
  t.equal(limit.status, 400);
  t.same(limit.body.issue[0].expression, ['limit']);
  t.match(limit.body.issue[0].diagnostics, /^query parameter 'limit' must be >= 1/);

  const status = await get('/admin/outbox/jobs?status=bogus');
  t.equal(status.status, 400, 'the outbox list, answered by the FHIR error handler');
  t.same(status.body.issue[0].expression, ['status']);
  t.equal(status.body.issue[0].diagnostics, `query parameter 'status' must be one of: ${JOB_STATUSES.join(', ')}`);
  const retry = await app.inject({
    method: 'POST',
    url: '/admin/outbox/jobs/J1/retry?status=nope',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  t.equal(retry.statusCode, 400);
  t.same(retry.json().issue[0].expression, ['status'], "a retry's expected status alike");

  const nosuch = await get('/admin/propagation?system=nosuch');
  t.equal(nosuch.status, 404, 'an unknown system is not an empty list');
  t.same(nosuch.body.issue[0].expression, ['system']);
  t.match(nosuch.body.issue[0].diagnostics, /no system 'nosuch'.*configured: openlmis, dhis2/);
  const configured = await get('/admin/propagation?system=dhis2');
  t.equal(configured.status, 200, 'a configured system with nothing stored: an empty list');
  t.same(configured.body.items, []);
  const stored = await get('/admin/propagation?system=legacy');
  t.equal(stored.status, 200, 'a stored system no longer configured: its changes');
  t.equal(stored.body.items.length, 1);

  // the outbox list alike: a typo is a 404, a system with stored jobs but no connector is listed
  await store.recordWrite({
    id: 'J-legacy',
    flow: 'order',
    system: 'legacy',
    idempotencyKey: 'order|app|legacy-1',
    payloadHash: 'h-legacy',
    payload: {},
    status: 'pending',
    attempts: 0,
    nextAttemptAt: Date.now() + 3_600_000,
    createdAt: Date.now(),
  });
  const typo = await get('/admin/outbox/jobs?system=dhsi2');
  t.equal(typo.status, 404, 'an unknown system is not an empty job list');
  t.same(typo.body.issue[0].expression, ['system']);
  t.match(typo.body.issue[0].diagnostics, /no system 'dhsi2'.*configured: openlmis, dhis2/);
  const none = await get('/admin/outbox/jobs?system=dhis2');
  t.equal(none.status, 200, 'a configured system with no job: an empty list');
  t.same(none.body.jobs, []);
  const legacy = await get('/admin/outbox/jobs?system=legacy');
  t.equal(legacy.status, 200, 'a system no longer configured: its jobs');
  t.same(
    legacy.body.jobs.map((j: { id: string }) => j.id),
    ['J-legacy'],
  );
});
