/** Retry, dead letter, circuit breaker, concurrency limit, deadline, metrics and operator tools. */
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import t from 'tap';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { retryDelayMs } from '../../../src/outbox/backoff.js';
import { registerOutboxMetrics } from '../../../src/outbox/metrics.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import { engineCases } from '../../support/outbox-engines.js';
import { outboxFixture, waitFor } from '../../support/outbox-fixture.js';

const write = (key: string, extra: object = {}) => ({
  flow: 'write',
  system: 'faulty',
  idempotencyKey: key,
  payload: { data: 1 },
  ...extra,
});

t.test('full-jitter backoff stays within [0, min(cap, base·2^(n-1))]', async (t) => {
  const opts = { baseMs: 100, capMs: 1_000 };
  t.equal(
    retryDelayMs(1, opts, () => 0),
    0,
  );
  t.equal(
    retryDelayMs(1, opts, () => 0.999),
    99,
  );
  t.equal(
    retryDelayMs(3, opts, () => 0.5),
    200,
  );
  t.equal(
    retryDelayMs(30, opts, () => 0.999),
    999,
    'capped',
  );
});

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('transient failure: 202, then the worker delivers', async (t) => {
      const f = await outboxFixture(t, engine, { faults: { error5xx: 1, afterApplyShare: 0 } });
      const first = await f.outbox.acceptWrite(write('T-1'));
      t.match(first, { kind: 'queued', status: 'pending', reason: /faulty failed transiently.*HTTP 503/ });
      f.upstream.faults.error5xx = 0;
      f.outbox.startWorker();
      t.ok(await waitFor(async () => (await f.outbox.getJob(first.jobId))?.status === 'done'));
      t.equal(f.upstream.state.applied.get('T-1')?.count, 1);
    });

    t.test('a hung upstream: 202 at the deadline, the attempt is aborted and retried', async (t) => {
      const f = await outboxFixture(t, engine, {
        faults: { hang: 1, afterApplyShare: 1 },
        options: { attemptTimeoutMs: 300, deadlineMs: 100 },
      });
      const first = await f.outbox.acceptWrite(write('T-2'));
      t.match(first, { kind: 'queued', status: 'in-flight', reason: /not answered within the deadline/ });
      f.upstream.faults.hang = 0;
      f.outbox.startWorker();
      t.ok(await waitFor(async () => (await f.outbox.getJob(first.jobId))?.status === 'done'));
      t.equal(
        f.upstream.state.applied.get('T-2')?.count,
        1,
        'applied by the hung request, found by the retry, not applied again',
      );
    });

    t.test('dead letter after max attempts; metrics; operator retry', async (t) => {
      const registry = new Registry();
      const metrics = { current: undefined as ReturnType<typeof registerOutboxMetrics> | undefined };
      const f = await outboxFixture(t, engine, {
        faults: { error5xx: 1, afterApplyShare: 0 },
        options: { backoff: { baseMs: 1, capMs: 2, maxAttempts: 3 } },
        metrics: {
          attempt: (s, r) => metrics.current?.attempt(s, r),
          deadLetter: (s) => metrics.current?.deadLetter(s),
        },
      });
      metrics.current = registerOutboxMetrics(registry, f.store);
      const first = await f.outbox.acceptWrite(write('T-3'));
      f.outbox.startWorker();
      t.ok(await waitFor(async () => (await f.outbox.getJob(first.jobId))?.status === 'dead'));
      const job = await f.outbox.getJob(first.jobId);
      t.equal(job?.attempts, 3);
      t.equal(f.calls.write, 3, 'three attempts, then no more');
      // the audit row is written in the dead status's own transaction: no wait for it
      t.match(await f.store.listAudit({ subject: first.jobId }), [
        { action: 'outbox.dead-letter', details: { attempts: 3 } },
      ]);
      const text = await registry.metrics();
      t.match(text, /mediator_outbox_jobs\{status="dead"\} 1/);
      t.match(text, /mediator_outbox_dead_letters_total\{system="faulty"\} 1/);
      t.match(text, /mediator_outbox_attempts_total\{system="faulty",result="retry"\} 2/);
      t.match(text, /mediator_outbox_oldest_waiting_age_seconds 0/);
      t.match(await f.outbox.acceptWrite(write('T-3')), {
        kind: 'duplicate',
        previous: { kind: 'queued', status: 'dead', reason: /gave up after 3 attempts/ },
      });
      f.upstream.faults.error5xx = 0;
      t.match(await retryOutboxJob(f.store, first.jobId, 'alice'), {
        ok: true,
        job: { status: 'pending', attempts: 0 },
      });
      t.ok(await waitFor(async () => (await f.outbox.getJob(first.jobId))?.status === 'done'), 'replayed to done');
      t.equal(f.upstream.state.applied.get('T-3')?.count, 1);
    });

    t.test('the circuit breaker stops calls to a failing system', async (t) => {
      const f = await outboxFixture(t, engine, {
        faults: { error5xx: 1, afterApplyShare: 0 },
        options: { breaker: { consecutiveFailures: 2, halfOpenAfterMs: 300 } },
      });
      await f.outbox.acceptWrite(write('B-1'));
      await f.outbox.acceptWrite(write('B-2'));
      t.equal(f.calls.write, 2);
      const third = await f.outbox.acceptWrite(write('B-3'));
      t.match(third, { kind: 'queued', status: 'pending', reason: /circuit open/ });
      t.equal(f.calls.write, 2, 'no upstream call while open');
      t.equal(await f.outbox.runOnce(), 0, 'the worker claims nothing while open');
      t.equal((await f.outbox.getJob(third.jobId))?.attempts, 0, 'a deferred job keeps its attempt budget');
      f.upstream.faults.error5xx = 0;
      f.outbox.startWorker();
      t.ok(
        await waitFor(async () => (await f.store.countJobsByStatus()).done === 3),
        'after half-open, a probe succeeds and the rest follow',
      );
    });

    t.test('per-system concurrency limit', async (t) => {
      const f = await outboxFixture(t, engine, {
        faults: { slow: 1, slowMs: [40, 40] },
        options: { concurrency: { perSystem: { faulty: 2 } }, deadlineMs: 10 },
      });
      let active = 0;
      let peak = 0;
      f.outbox.register('write', 'faulty', async (_job, _journal, ctx) => {
        active += 1;
        peak = Math.max(peak, active);
        try {
          await new Promise((r) => setTimeout(r, 40));
          return { system: 'faulty', ids: { write: String(ctx.attempt) } };
        } finally {
          active -= 1;
        }
      });
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => f.outbox.acceptWrite(write(`C-${i}`))));
      t.ok(
        outcomes.some((o) => o.kind === 'queued' && /concurrency limit/.test(o.reason)),
        'writes beyond the limit were queued',
      );
      f.outbox.startWorker();
      t.ok(await waitFor(async () => (await f.store.countJobsByStatus()).done === 10));
      t.equal(peak, 2, 'never more than 2 at once');
    });

    t.test('admin routes need authentication and drive list/show/retry/drop', async (t) => {
      const f = await outboxFixture(t, engine, { faults: { error5xx: 1, afterApplyShare: 0 } });
      const first = await f.outbox.acceptWrite(write('A-1'));
      const app = Fastify();
      await app.register(outboxAdminRoutes, { prefix: '/admin', store: f.store, adminToken: 's3cret-token' });
      t.teardown(() => app.close());
      t.equal((await app.inject({ url: '/admin/outbox/jobs' })).statusCode, 401);
      t.equal(
        (await app.inject({ url: '/admin/outbox/jobs', headers: { authorization: 'Bearer nope' } })).statusCode,
        401,
      );
      const auth = { authorization: 'Bearer s3cret-token', 'x-admin-user': 'alice' };
      const list = await app.inject({ url: '/admin/outbox/jobs?status=pending', headers: auth });
      t.match(list.json(), {
        jobs: [{ id: first.jobId, status: 'pending', idempotencyKey: 'A-1' }],
        counts: { pending: 1 },
      });
      t.match((await app.inject({ url: `/admin/outbox/jobs/${first.jobId}`, headers: auth })).json(), {
        job: { id: first.jobId },
        steps: [],
      });
      t.equal((await app.inject({ url: '/admin/outbox/jobs/nope', headers: auth })).statusCode, 404);
      t.equal(
        (await app.inject({ method: 'POST', url: `/admin/outbox/jobs/${first.jobId}/retry`, headers: auth }))
          .statusCode,
        200,
      );
      t.equal(
        (await app.inject({ method: 'DELETE', url: `/admin/outbox/jobs/${first.jobId}`, headers: auth })).statusCode,
        200,
      );
      t.equal(await f.outbox.getJob(first.jobId), undefined);
      t.same(
        (await f.store.listAudit({ subject: first.jobId })).map((a) => [a.actor, a.action]),
        [
          ['alice', 'outbox.drop'],
          ['alice', 'outbox.retry'],
        ],
      );
      t.rejects(async () => {
        const bare = Fastify();
        await bare.register(outboxAdminRoutes, { store: f.store });
        await bare.ready();
      }, /needs a preHandler or an adminToken/);
    });
  });
}
