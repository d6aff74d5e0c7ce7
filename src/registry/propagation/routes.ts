import type { FastifyPluginAsync } from 'fastify';
import { adminErrorAnswer } from '../../admin/error-answer.js';
import { InvalidInputError, MediatorError } from '../../domain/errors.js';
import { bearerCheck, type AdminToken } from '../../platform/admin-auth.js';
import { PROPAGATION_STATES, type PropagationFilter, type Store } from '../../store/types.js';
import type { Propagator } from './propagator.js';
import { propagationStatus } from './status.js';
import { offsetSchema } from '../../admin/offset-schema.js';
import { actorHeader, checkedActor } from '../../admin/actor-name.js';
import { knownQueryOnly } from '../../admin/known-query.js';

const PROPAGATION_QUERY = {
  state: { type: 'string', enum: [...PROPAGATION_STATES] },
  system: { type: 'string', minLength: 1, maxLength: 100 },
  // no minLength: an empty one is refused as a blank one is (registryIdFilter), in the same words
  registryId: { type: 'string', maxLength: 500 },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: offsetSchema,
};

export interface PropagationRoutesOptions {
  store: Store;
  propagator: Propagator;
  adminToken: AdminToken;
  /**
   * The systems changes are propagated to. A `?system=` neither named here nor with a stored
   * change is a 404 naming these, not an empty list: a typo must not read as "nothing to do".
   */
  systems?: () => string[];
}

/**
 * GET /propagation?state=&system=&registryId=&limit=&offset=: counts per system and state, and
 * the changes (newest first) with why each is held or failed. POST /propagation/release plans held
 * changes again (after decisions made outside the review API, e.g. a crosswalk import); it says who
 * asked (`X-Actor`, as the review API does) and is audited here, whoever calls it (the console, a
 * script, curl), so the audit trail does not depend on the caller remembering to write it.
 */
export const propagationRoutes: FastifyPluginAsync<PropagationRoutesOptions> = async (app, opts) => {
  app.addHook('preHandler', bearerCheck(opts.adminToken));
  app.setErrorHandler(adminErrorAnswer);

  app.get(
    '/propagation',
    {
      preValidation: knownQueryOnly(PROPAGATION_QUERY),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: PROPAGATION_QUERY,
        },
      },
    },
    async (req) => {
      const query = req.query as PropagationFilter;
      const filter = { ...query, registryId: registryIdFilter(query.registryId) };
      const status = await propagationStatus(opts.store, filter);
      if (filter.system) assertKnownSystem(filter.system, opts.systems?.() ?? [], status.counts);
      return status;
    },
  );

  app.post('/propagation/release', async (req) => {
    const actor = actorOf(req.headers['x-actor']);
    const released = await opts.propagator.releaseHeld();
    await opts.store.appendAudit({
      actor,
      action: 'propagation.release',
      subject: 'propagation',
      details: { released },
    });
    return { released };
  });
};

/** 404 for a system neither configured nor with a stored change (`counts` holds every stored one). */
function assertKnownSystem(system: string, configured: string[], counts: Record<string, unknown>): void {
  if (configured.includes(system) || system in counts) return;
  throw new MediatorError(404, {
    code: 'not-found',
    diagnostics: `no system '${system}' to propagate to: ${configured.length ? `configured: ${configured.join(', ')}` : 'none is configured'}; no change is stored for that name`,
    expression: ['system'],
  });
}

/**
 * The `registryId` filter, trimmed as the review's accept trims its registryId: no registry id has
 * spaces around it (a list's cells are trimmed when read, a FHIR id has none), so " R4 " pasted
 * from a spreadsheet means R4. A blank one is refused, not read as "every change".
 */
function registryIdFilter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const id = value.trim();
  if (!id)
    throw new InvalidInputError(
      `registryId ${JSON.stringify(value)} is blank: give the registry id whose changes to list, or leave registryId out`,
      'registryId',
    );
  return id;
}

/** Who releases: the X-Actor header, required (an unaudited release is refused before anything is done). */
function actorOf(header: string | string[] | undefined): string {
  const actor = actorHeader(header);
  if (!actor) throw new InvalidInputError('say who releases held changes: X-Actor header', 'actor');
  return checkedActor(actor, 'actor');
}
