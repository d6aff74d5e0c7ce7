/**
 * The registry feed routes (`PUT`/`DELETE /registry/Location/:id`, `POST /registry`) in front of a
 * propagation rig, as the server mounts them, for tests that push Locations in and read the
 * systems back through the rig.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { RegistryClient } from '../../src/registry/mfr/types.js';
import { registryFeedRoutes } from '../../src/registry/propagation/feed-routes.js';
import type { PropagationRig } from './propagation-rig.js';

/**
 * The feed routes over the rig's propagator, settings and store, closed when `t` ends. `registry`
 * is what a push without meta.lastUpdated is checked against (default: the rig's registry client).
 */
export async function registryFeedApp(
  t: { teardown(fn: () => unknown): void },
  rig: PropagationRig,
  registry: () => RegistryClient | undefined = rig.side.registry,
): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(registryFeedRoutes, {
    propagator: rig.side.propagator,
    settings: () => rig.settings,
    store: rig.store,
    registry,
  });
  t.teardown(() => app.close());
  return app;
}
