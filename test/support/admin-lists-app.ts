import Fastify, { type FastifyInstance } from 'fastify';
import { fhirErrorHandler } from '../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../src/outbox/admin-routes.js';
import { propagationRoutes } from '../../src/registry/propagation/routes.js';
import type { Propagator } from '../../src/registry/propagation/propagator.js';
import { reviewRoutes } from '../../src/registry/review-routes.js';
import type { Store } from '../../src/store/types.js';

/**
 * The admin API's paged lists (outbox jobs, propagation, the review queue) on `store`, behind
 * Bearer `token`, for OpenLMIS only; closed when `t` ends. No propagator: the lists only read.
 */
export async function adminListsApp(
  t: { teardown(fn: () => unknown): void },
  store: Store,
  token: string,
): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler(fhirErrorHandler);
  await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: token });
  await app.register(propagationRoutes, {
    prefix: '/admin',
    store,
    propagator: {} as Propagator,
    adminToken: token,
    systems: () => ['openlmis'],
  });
  await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: () => token, systems: () => ['openlmis'] });
  t.teardown(() => app.close());
  return app;
}
