import type { FastifyPluginAsync } from 'fastify';
import { adminErrorAnswer } from '../../admin/error-answer.js';
import { bearerCheck, type AdminToken } from '../../platform/admin-auth.js';
import { PROPAGATION_STATES, type PropagationFilter, type Store } from '../../store/types.js';
import type { Propagator } from './propagator.js';
import { propagationStatus } from './status.js';

export interface PropagationRoutesOptions {
  store: Store;
  propagator: Propagator;
  adminToken: AdminToken;
}

/**
 * GET /propagation?state=&system=&registryId=&limit=&offset=: counts per system and state, and
 * the changes (newest first) with why each is held or failed. POST /propagation/release plans held
 * changes again (after decisions made outside the review API, e.g. a crosswalk import).
 */
export const propagationRoutes: FastifyPluginAsync<PropagationRoutesOptions> = async (app, opts) => {
  app.addHook('preHandler', bearerCheck(opts.adminToken));
  app.setErrorHandler(adminErrorAnswer);

  app.get(
    '/propagation',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: [...PROPAGATION_STATES] },
            system: { type: 'string', minLength: 1, maxLength: 100 },
            registryId: { type: 'string', minLength: 1, maxLength: 500 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
      },
    },
    async (req) => propagationStatus(opts.store, req.query as PropagationFilter),
  );

  app.post('/propagation/release', async () => ({ released: await opts.propagator.releaseHeld() }));
};
