/**
 * A dead letter and its audit row are one write: when the database refuses the audit row (as a
 * full disk would, or a crash between two writes), the job is not left dead without it but stays
 * in flight and is retried after its lease; once the audit can be written, the job is dead and
 * audited once, and the audit row is there as soon as the dead status can be read.
 */
import t from 'tap';
import { refuseAudits } from '../../support/audit-refusal.js';
import { engineCases } from '../../support/outbox-engines.js';
import { outboxFixture, waitFor } from '../../support/outbox-fixture.js';

// a short lease, so the attempt the refusal left in flight is taken up again soon
const OPTIONS = { leaseMs: 400, attemptTimeoutMs: 200, backoff: { baseMs: 1, capMs: 2, maxAttempts: 1 } };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('a dead letter whose audit is refused is not kept either', async (t) => {
      const f = await outboxFixture(t, engine, { faults: { error5xx: 1, afterApplyShare: 0 }, options: OPTIONS });
      const lift = await refuseAudits(f.databaseUrl, 'outbox.dead-letter');
      const first = await f.outbox.acceptWrite({
        flow: 'write',
        system: 'faulty',
        idempotencyKey: 'DL-1',
        payload: {},
      });
      t.match(first, { kind: 'queued', status: 'in-flight', reason: /could not be recorded/ });
      t.match(await f.store.getJob(first.jobId), { status: 'in-flight', attempts: 1 }, 'not dead without its audit');
      t.same(await f.store.listAudit({ subject: first.jobId }), []);

      await lift();
      f.outbox.startWorker();
      t.ok(await waitFor(async () => (await f.store.getJob(first.jobId))?.status === 'dead'), 'dead after its lease');
      t.match(await f.store.listAudit({ subject: first.jobId }), [
        { actor: 'outbox', action: 'outbox.dead-letter', details: { idempotencyKey: 'DL-1', attempts: 2 } },
      ]);
      t.equal(f.calls.write, 2);
    });

    t.test('an internal error whose audit is refused is not kept either', async (t) => {
      const f = await outboxFixture(t, engine, { options: OPTIONS });
      let calls = 0;
      f.outbox.register('buggy', 'faulty', async (job) => {
        calls += 1;
        return (job.payload as { facility?: { code: string } }).facility!.code as never;
      });
      const lift = await refuseAudits(f.databaseUrl, 'outbox.internal-error');
      const first = await f.outbox.acceptWrite({
        flow: 'buggy',
        system: 'faulty',
        idempotencyKey: 'IE-1',
        payload: {},
      });
      t.match(first, { kind: 'queued', status: 'in-flight', reason: /could not be recorded/ });
      t.match(await f.store.getJob(first.jobId), { status: 'in-flight', attempts: 1 }, 'not dead without its audit');
      t.same(await f.store.listAudit({ subject: first.jobId }), []);

      await lift();
      f.outbox.startWorker();
      t.ok(await waitFor(async () => (await f.store.getJob(first.jobId))?.status === 'dead'), 'dead after its lease');
      t.match(await f.store.listAudit({ subject: first.jobId }), [
        {
          actor: 'outbox',
          action: 'outbox.internal-error',
          details: { idempotencyKey: 'IE-1', error: /Cannot read properties/ },
        },
      ]);
      t.equal(calls, 2);
    });
  });
}
