import type { FastifyPluginAsync } from 'fastify';
import { operationOutcome } from '../fhir/outcome.js';
import type { JobView, Scheduler, TickOutcome } from '../jobs/index.js';
import { bearerCheck, type AdminToken } from '../platform/admin-auth.js';
import type { JobRun, Store } from '../store/types.js';
import { knownQueryOnly } from './known-query.js';

export interface JobsAdminOptions {
  store: Store;
  scheduler: Scheduler;
  /** A fixed token, or a function read per request (the same admin auth as the outbox routes). */
  adminToken: AdminToken;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A run as shown to operators: instants as ISO strings, `skipped: reason` spelt out. */
export function runView(run: JobRun) {
  return {
    id: run.id,
    trigger: run.trigger,
    ...(run.tickAt !== undefined ? { tick: iso(run.tickAt) } : {}),
    start: iso(run.startedAt),
    ...(run.endedAt !== undefined ? { end: iso(run.endedAt) } : {}),
    outcome: run.outcome === 'skipped' && run.detail ? `skipped: ${run.detail}` : run.outcome,
    ...(run.outcome === 'failed' && run.detail ? { error: run.detail } : {}),
    // an ok run's detail: what it left behind and why (a bridge's held requisitions)
    ...(run.outcome === 'ok' && run.detail ? { detail: run.detail } : {}),
    ...(run.counts ? { counts: run.counts } : {}),
    ...(run.instance ? { instance: run.instance } : {}),
  };
}

/** Every job with its schedule, next run and last `limit` runs (newest first). */
export async function jobsOverview(store: Store, scheduler: Scheduler, limit = 10) {
  const views: JobView[] = scheduler.describe();
  return Promise.all(
    views.map(async (v) => ({
      name: v.name,
      description: v.description,
      setting: v.setting,
      schedule: v.schedule ?? null,
      nextRun: iso(v.nextRunAt) ?? null,
      // the failed parts of its last run tried again then (a 'retry' run), sooner than the next run
      ...(v.retryAt !== undefined ? { retryFailed: iso(v.retryAt) } : {}),
      lastRuns: (await store.listJobRuns(v.name, limit)).map(runView),
    })),
  );
}

/** What a run by hand answers: the finished run, or 409 when the job is running somewhere. */
export function manualRunAnswer(name: string, outcome: TickOutcome): { status: number; body: unknown } {
  if (outcome.run) return { status: 200, body: { job: name, run: runView(outcome.run) } };
  return {
    status: 409,
    body: operationOutcome([
      {
        code: 'conflict',
        diagnostics: `job ${name} is running now (on this or another instance); see GET /admin/jobs`,
      },
    ]),
  };
}

const JOBS_QUERY = { limit: { type: 'integer', minimum: 1, maximum: 200, default: 10 } } as const;

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** GET /jobs and POST /jobs/:name/run. Register under `{ prefix: '/admin' }`. */
export const jobsAdminRoutes: FastifyPluginAsync<JobsAdminOptions> = async (app, opts) => {
  app.addHook('preHandler', bearerCheck(opts.adminToken));

  app.get(
    '/jobs',
    {
      // a typo (`?limt=1`) is a 400 naming it, as every admin list answers, not the default page
      preValidation: knownQueryOnly(JOBS_QUERY),
      schema: { querystring: { type: 'object', properties: JOBS_QUERY } },
    },
    async (req) => ({ jobs: await jobsOverview(opts.store, opts.scheduler, (req.query as { limit: number }).limit) }),
  );

  app.post('/jobs/:name/run', { schema: { params: nameParams } }, async (req, reply) => {
    const { name } = req.params as { name: string };
    const outcome = await opts.scheduler.runNow(name);
    if (!outcome) {
      const known = opts.scheduler.jobs.map((j) => j.name).join(', ');
      return reply
        .code(404)
        .send(operationOutcome([{ code: 'not-found', diagnostics: `no job named ${name}; jobs: ${known}` }]));
    }
    const answer = manualRunAnswer(name, outcome);
    return reply.code(answer.status).send(answer.body);
  });
};
