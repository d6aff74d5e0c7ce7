/**
 * Every delivery attempt is kept (job_attempts, v11) and the console's job timeline shows each
 * one, not only the last error: transient failures then a delivery against the faulty
 * upstream, on both engines.
 */
import t from 'tap';
import { showOutboxJob } from '../../../src/outbox/operator.js';
import { jobBody } from '../../../src/admin/ui/outbox-page.js';
import { engineCases } from '../../support/outbox-engines.js';
import { outboxFixture, waitFor } from '../../support/outbox-fixture.js';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const f = await outboxFixture(t, engine, { faults: { error5xx: 1, afterApplyShare: 0 } });
    const first = await f.outbox.acceptWrite({
      flow: 'write',
      system: 'faulty',
      idempotencyKey: 'ATT-1',
      payload: { data: 1 },
    });
    t.match(first, { kind: 'queued', status: 'pending' });
    f.outbox.startWorker();
    // every call fails until the job has failed twice; then the upstream recovers
    t.ok(await waitFor(async () => (await f.store.listJobAttempts(first.jobId)).length >= 2), 'two failures');
    f.upstream.faults.error5xx = 0;
    t.ok(await waitFor(async () => (await f.outbox.getJob(first.jobId))?.status === 'done'), 'delivered');
    const detail = (await showOutboxJob(f.store, first.jobId))!;
    const n = detail.attempts.length;
    t.ok(n >= 3, `at least three attempts kept (${n})`);
    t.same(
      detail.attempts.map((a) => [a.attempt, a.outcome]),
      detail.attempts.map((_, i) => [i + 1, i < n - 1 ? 'retry' : 'done']),
      'every attempt, numbered in order, with how each ended: failures, then the delivery',
    );
    t.match(detail.attempts[0].detail, /HTTP 503/, "a failure keeps the upstream's reason");
    t.equal(detail.attempts[n - 1].detail, undefined, 'a delivery has no error');
    t.ok(
      detail.attempts.every(
        (a, i) => a.endedAt >= a.startedAt && (i === 0 || a.startedAt >= detail.attempts[i - 1].endedAt),
      ),
      'each attempt starts after the one before ended',
    );
    const page = jobBody(detail, Date.now()).value;
    const items = [...page.matchAll(/<li data-testid="attempt">(.*?)<\/li>/g)].map((m) => m[1]);
    t.equal(items.length, n, 'the timeline lists every attempt');
    t.match(items[0], /Attempt 1: <strong[^>]*>failed, to be retried<\/strong>.*HTTP 503/);
    t.match(items[n - 1], new RegExp(`Attempt ${n}: <strong[^>]*>delivered</strong>`));
  });
}
