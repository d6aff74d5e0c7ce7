/**
 * A minimal mediator front for the outbox fault-injection test (test/e2e/outbox-faults.test.ts):
 * POST /write → acceptWrite (+ the worker, in this process), answering 201/202/4xx/409 as the
 * FHIR layer will. The test SIGKILLs and restarts it. It only runs when OUTBOX_HARNESS=1, so
 * `tap` picking this file up as a test does nothing.
 *
 * Env: DATABASE_URL, UPSTREAM_URL, INSTANCE_ID. Prints "LISTENING <port>" when ready.
 */
import Fastify from 'fastify';
import { ConflictError, MediatorError } from '../../src/domain/errors.js';
import { Outbox } from '../../src/outbox/outbox.js';
import type { FirstOutcome } from '../../src/outbox/types.js';
import { openStore } from '../../src/store/index.js';
import { faultyUpstreamHandlers } from '../../sandbox/faulty-upstream/handlers.js';

/** Short timings so 1,000 writes with faults and crashes finish in well under a minute. */
export const HARNESS_OUTBOX_OPTIONS = {
  leaseMs: 1_500,
  attemptTimeoutMs: 400,
  deadlineMs: 150,
  backoff: { baseMs: 20, capMs: 300, maxAttempts: 60 },
  concurrency: { default: 16 },
  breaker: { consecutiveFailures: 8, halfOpenAfterMs: 150 },
  pollMs: 25,
  duplicatePollMs: 20,
};

function answer(outcome: FirstOutcome): { status: number; body: unknown } {
  switch (outcome.kind) {
    case 'done': return { status: 201, body: { jobId: outcome.jobId, result: outcome.result } };
    case 'queued': return { status: 202, body: { jobId: outcome.jobId, status: outcome.status, reason: outcome.reason } };
    default: return { status: outcome.error.status, body: { jobId: outcome.jobId, error: outcome.error.message } };
  }
}

async function main(): Promise<void> {
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL, poolSize: 20 });
  const outbox = new Outbox({ store, options: { ...HARNESS_OUTBOX_OPTIONS, instanceId: process.env.INSTANCE_ID } });
  const handlers = faultyUpstreamHandlers(process.env.UPSTREAM_URL!, 'faulty');
  outbox.register('write', 'faulty', handlers.write);
  outbox.register('twoStep', 'faulty', handlers.twoStep);
  outbox.startWorker();

  const app = Fastify();
  app.post('/write', async (req, reply) => {
    const body = req.body as { key: string; mode: 'write' | 'twoStep'; reject?: boolean; data?: unknown };
    try {
      const outcome = await outbox.acceptWrite({
        flow: body.mode, system: 'faulty', idempotencyKey: body.key,
        payload: { reject: body.reject, data: body.data },
        transactionId: String(req.headers['x-openhim-transactionid'] ?? ''),
      });
      const a = answer(outcome.kind === 'duplicate' ? outcome.previous : outcome);
      return reply.code(a.status).send({ ...(a.body as object), duplicate: outcome.kind === 'duplicate' });
    } catch (err) {
      if (err instanceof ConflictError) return reply.code(409).send({ error: err.message });
      if (err instanceof MediatorError) return reply.code(err.status).send({ error: err.message });
      return reply.code(500).send({ error: 'internal error' });
    }
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`LISTENING ${new URL(address).port}\n`);

  const shutdown = async () => {
    await app.close();
    await outbox.stop(2_000);
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
}

if (process.env.OUTBOX_HARNESS === '1') {
  await main();
}
