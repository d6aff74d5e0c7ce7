/**
 * POST /admin/propagation/release through the API: the caller says who it is (X-Actor) and the
 * release is audited with that actor by the route itself, whoever calls it; without an actor
 * nothing is released and nothing recorded.
 */
import t from 'tap';
import Fastify from 'fastify';
import { propagationRoutes } from '../../../../src/registry/propagation/routes.js';
import type { Propagator } from '../../../../src/registry/propagation/propagator.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';

const TOKEN = 'release-route-token-5K';

t.test('a release is audited with its actor; one without an actor is refused', async (t) => {
  const { store } = await freshStore(engineCases()[0], t);
  let calls = 0;
  // the route is real; the propagator only counts (its planning has its own tests)
  const propagator = {
    releaseHeld: async () => {
      calls += 1;
      return 3;
    },
  } as unknown as Propagator;
  const app = Fastify();
  await app.register(propagationRoutes, { prefix: '/admin', store, propagator, adminToken: () => TOKEN });
  t.teardown(() => app.close());
  const release = (headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/admin/propagation/release',
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    });

  const anonymous = await release({});
  t.equal(anonymous.statusCode, 400);
  t.equal(anonymous.json().resourceType, 'OperationOutcome');
  t.match(anonymous.json().issue[0].diagnostics, /X-Actor/);
  t.same(anonymous.json().issue[0].expression, ['actor']);
  t.equal((await release({ 'x-actor': 'auto' })).statusCode, 400, '"auto" is the matcher, not a person');
  t.equal(calls, 0, 'nothing released without an actor');
  t.same(await store.listAudit({ subject: 'propagation' }), [], 'and nothing recorded');

  const ok = await release({ 'x-actor': '  Ama Data-Manager ' });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { released: 3 });
  t.equal(calls, 1);
  const audit = await store.listAudit({ subject: 'propagation' });
  t.equal(audit.length, 1);
  t.match(audit[0], {
    actor: 'Ama Data-Manager',
    action: 'propagation.release',
    subject: 'propagation',
    details: { released: 3 },
  });

  const unauthorised = await app.inject({
    method: 'POST',
    url: '/admin/propagation/release',
    headers: { 'x-actor': 'x' },
  });
  t.equal(unauthorised.statusCode, 401, 'the admin token is still required');
  t.equal(calls, 1);
});
