import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { JOB_STATUSES, type JobStatus, type Store } from '../store/types.js';
import {
  dropOutboxJob,
  alreadyDueText,
  changedSinceText,
  jobView,
  listOutboxJobs,
  movedUnder,
  retryOutboxJob,
  showOutboxJob,
  transactionUpdatesView,
  unknownJobSystem,
  type OperatorResult,
} from './operator.js';
import { bearerCheck, type AdminToken } from '../platform/admin-auth.js';
import { operationOutcome } from '../fhir/outcome.js';
import { offsetSchema } from '../admin/offset-schema.js';
import { knownQueryOnly } from '../admin/known-query.js';
import { actorHeader, checkedActor } from '../admin/actor-name.js';
import { seenUpdatedAt } from './seen-updated.js';

const JOBS_QUERY = {
  status: { type: 'string', enum: [...JOB_STATUSES] },
  system: { type: 'string' },
  flow: { type: 'string' },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: offsetSchema,
};

export interface OutboxAdminOptions {
  store: Store;
  /**
   * Authentication: either the app's own preHandler (it must reject unauthenticated requests and
   * may set `request.adminUser`), or a static bearer token. Registering with neither throws, so
   * the routes are never open by accident.
   */
  preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** A fixed token, or a function read per request (a live settings change applies at once). */
  adminToken?: AdminToken;
  /** Name recorded in the audit trail; default from `x-admin-user` or 'admin'. */
  actorOf?: (request: FastifyRequest) => string;
  /**
   * The systems configured now (read per request): each is in `bySystem` even with nothing waiting,
   * so the console's table and filter offer a system whose jobs are all delivered.
   */
  systems?: () => string[];
}

/**
 * An operator action refused, as every admin API answers an error: an OperationOutcome naming the
 * parameter at fault (`id`, or `status` when the job moved on from what the caller expected). The
 * job's state (`status`, `expected`, `movedBy`) stays beside `issue` for the console's message.
 */
function refusal(
  code: 'not-found' | 'conflict',
  expression: 'id' | 'status' | 'updatedAt',
  diagnostics: string,
  state: { status?: JobStatus; expected?: JobStatus; movedBy?: string; updatedAt?: string } = {},
) {
  return { ...operationOutcome([{ code, diagnostics, expression: [expression] }]), ...state };
}

const NO_SUCH_JOB = refusal('not-found', 'id', 'no such outbox job');

/** `?system=` naming neither a configured system nor one with a stored job (a typo): 404, as /admin/propagation. */
function noSuchSystem(system: string, configured: string[]) {
  const known = configured.length ? `configured: ${configured.join(', ')}` : 'none is configured';
  return operationOutcome([
    {
      code: 'not-found',
      diagnostics: `no system '${system}': ${known}; no job is stored for that name`,
      expression: ['system'],
    },
  ]);
}

function sendOperatorResult(reply: FastifyReply, id: string, r: OperatorResult, action: 'retry' | 'drop') {
  // the job as the list and the detail give it: instants ISO 8601
  if (r.ok) return reply.send(r.job ? { ok: true, job: jobView(r.job) } : { ok: true });
  if (r.reason === 'not-found') return reply.code(404).send(NO_SUCH_JOB);
  if (r.reason === 'superseded')
    return reply
      .code(409)
      .send(refusal('conflict', 'id', `job was refused and its key then taken by job ${r.by}; act on that job`));
  if (r.reason === 'overtaken')
    return reply
      .code(409)
      .send(
        refusal(
          'conflict',
          'id',
          `job ${id} is ${r.status}, and a later write of the same record (the same upstream object, by whatever id or code it was named) was accepted after it: retried, it would put the older version back over the later one; nothing was done (send the change again if it is still wanted)`,
          { status: r.status },
        ),
      );
  if (r.reason === 'already-due')
    return reply
      .code(409)
      .send(refusal('conflict', 'id', alreadyDueText(id, r.movedBy), { status: r.status, movedBy: r.movedBy }));
  if (r.reason === 'changed') {
    // in the status the caller saw, but not the job it saw: retried (and dead again) since
    const now = new Date(r.updatedAt).toISOString();
    return reply.code(409).send(
      refusal('conflict', 'updatedAt', changedSinceText(id, r), {
        status: r.status,
        movedBy: r.movedBy,
        updatedAt: now,
      }),
    );
  }
  if (r.expected)
    // the caller acted on the job as it saw it; someone or something moved it on since
    return reply
      .code(409)
      .send(
        refusal(
          'conflict',
          'status',
          `job ${id} is ${r.status} now, not ${r.expected} as the request expected, after ${r.movedBy}; nothing was done`,
          { status: r.status, expected: r.expected, movedBy: r.movedBy },
        ),
      );
  if (r.movedBy)
    // a retry or drop of a job it applies to now, refused as it was in flight when the store wrote
    return reply.code(409).send(
      refusal('conflict', 'id', movedUnder(id, r.status, r.movedBy, action), {
        status: r.status,
        movedBy: r.movedBy,
      }),
    );
  return reply
    .code(409)
    .send(refusal('conflict', 'id', `job is ${r.status}; this action does not apply`, { status: r.status }));
}

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

// `updatedAt`: the job's updatedAt as shown; a status alone does not tell a dead job from the same
// job retried and dead again (a drop from an old page deleting a write a colleague re-sent)
const statusQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: [...JOB_STATUSES] },
    updatedAt: { type: 'string', maxLength: 40 },
  },
} as const;

/**
 * Admin routes for the outbox: GET /outbox/jobs, GET /outbox/counts, GET /outbox/jobs/:id, POST …/:id/retry[?status=&updatedAt=],
 * DELETE /outbox/jobs/:id[?status=&updatedAt=]. Register under a prefix, e.g. `{ prefix: '/admin' }`.
 */
export const outboxAdminRoutes: FastifyPluginAsync<OutboxAdminOptions> = async (app, opts) => {
  const guard = opts.preHandler ?? (opts.adminToken ? bearerCheck(opts.adminToken) : undefined);
  if (!guard) throw new Error('outboxAdminRoutes needs a preHandler or an adminToken');
  const given = opts.actorOf ?? ((req: FastifyRequest) => actorHeader(req.headers['x-admin-user']) ?? 'admin');
  // audited with the job: a name with a control character or thousands long is a 400, nothing done
  const actorOf = (req: FastifyRequest) => checkedActor(given(req).trim() || 'admin', 'X-Admin-User');
  app.addHook('preHandler', guard);

  app.get(
    '/outbox/jobs',
    {
      preValidation: knownQueryOnly(JOBS_QUERY),
      schema: { querystring: { type: 'object', properties: JOBS_QUERY } },
    },
    async (req, reply) => {
      const q = req.query as { status?: JobStatus; system?: string; flow?: string; limit?: number; offset?: number };
      const configured = opts.systems?.();
      if (q.system && configured && (await unknownJobSystem(opts.store, q.system, configured)))
        return reply.code(404).send(noSuchSystem(q.system, configured));
      return { jobs: await listOutboxJobs(opts.store, q), counts: await opts.store.countJobsByStatus() };
    },
  );

  // every job counted by status (the /metrics counts, from partial indexes); by system, the jobs
  // not done only: done ones are nearly every row, and counting them by system read them all
  app.get('/outbox/counts', async () => {
    const [counts, rows, updates] = await Promise.all([
      opts.store.countJobsByStatus(),
      opts.store.countJobsBySystem(),
      opts.store.countTransactionUpdates(),
    ]);
    const bySystem: Record<string, Partial<Record<JobStatus, number>>> = {};
    for (const system of opts.systems?.() ?? []) bySystem[system] = {};
    for (const r of rows) (bySystem[r.system] ??= {})[r.status] = r.count;
    // OpenHIM transaction updates not sent (owed, refused, abandoned), for the console's one line
    return { counts, bySystem, openhimUpdates: transactionUpdatesView(updates) };
  });

  app.get('/outbox/jobs/:id', { schema: { params: idParams } }, async (req, reply) => {
    const detail = await showOutboxJob(opts.store, (req.params as { id: string }).id);
    return detail ?? reply.code(404).send(NO_SUCH_JOB);
  });

  // `?status=dead&updatedAt=…`: act only while the job is still as the caller saw it (409 with its
  // status now and what moved it); checked inside the store's write, so two sends at once act once
  const actOn = { params: idParams, querystring: statusQuery };
  // a misspelt guard (`?stauts=dead`) is a 400, not dropped by the schema: the action would go
  // ahead unguarded (a drop meant for a dead job dropping the one a colleague had just retried)
  const guarded = knownQueryOnly(statusQuery.properties, 'action');
  app.post('/outbox/jobs/:id/retry', { schema: actOn, preValidation: guarded }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const { status, updatedAt } = req.query as { status?: JobStatus; updatedAt?: string };
    const seen = seenUpdatedAt(updatedAt);
    return sendOperatorResult(reply, id, await retryOutboxJob(opts.store, id, actorOf(req), status, seen), 'retry');
  });

  app.delete('/outbox/jobs/:id', { schema: actOn, preValidation: guarded }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const { status, updatedAt } = req.query as { status?: JobStatus; updatedAt?: string };
    const seen = seenUpdatedAt(updatedAt);
    return sendOperatorResult(reply, id, await dropOutboxJob(opts.store, id, actorOf(req), status, seen), 'drop');
  });
};
