/**
 * A multi-step write whose journaled steps return plain strings (a requisition id, a status), as
 * the OpenLMIS order and stock handlers do, crashes after its first step and is resumed by a
 * second instance: it must reach `done` on both engines. On PostgreSQL it never did: reading the
 * string back from the journal threw, the job retried as transient and the breaker opened.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { FAST, outboxFixture, waitFor } from '../../support/outbox-fixture.js';

t.comment(
  process.env.TEST_DATABASE_URL ? 'PostgreSQL tier: on' : 'PostgreSQL tier skipped: TEST_DATABASE_URL is not set',
);

for (const engine of engineCases()) {
  t.test(`string step results survive a crash on ${engine.name}`, { skip: engine.skip }, async (t) => {
    const f = await outboxFixture(t, engine);
    let initiates = 0;
    const initiate = async () => {
      initiates += 1;
      return `req-${initiates}`;
    };

    // Instance 1 journals the requisition id, then dies before the next step.
    const store1 = await openStore({ databaseUrl: f.databaseUrl });
    const doomed = new Outbox({ store: store1, options: { ...FAST, leaseMs: 600, attemptTimeoutMs: 500 } });
    let crashed!: () => void;
    const journaled = new Promise<void>((r) => {
      crashed = r;
    });
    doomed.register('order', 'faulty', async (_job, journal) => {
      await journal.run('initiate', initiate);
      crashed();
      return new Promise(() => undefined);
    });
    const accepted = await doomed.acceptWrite({
      flow: 'order',
      system: 'faulty',
      idempotencyKey: 'ORDER-STR-1',
      payload: { order: 'ORDER-STR-1' },
      deadlineMs: 50,
    });
    t.match(accepted, { kind: 'queued' });
    await journaled;
    await store1.close();

    // Instance 2 resumes: the id comes from the journal, then a string status and a JSON-looking string are journaled.
    const seen: unknown[] = [];
    f.outbox.register('order', 'faulty', async (_job, journal) => {
      const requisitionId = await journal.run('initiate', initiate);
      const status = await journal.run('status', async () => 'INITIATED');
      const looksLikeJson = await journal.run('note', async () => '{"a":1}');
      seen.push(requisitionId, status, looksLikeJson);
      return { system: 'faulty', ids: { requisition: requisitionId }, status: 'applied' };
    });
    f.outbox.startWorker();
    t.ok(await waitFor(async () => (await f.store.getJob(accepted.jobId))?.status === 'done'), 'the job reached done');
    const job = await f.store.getJob(accepted.jobId);
    t.equal(initiates, 1, 'the journaled step was not repeated');
    t.strictSame(seen, ['req-1', 'INITIATED', '{"a":1}'], 'the handler got the strings back as strings');
    t.strictSame(job?.result?.ids, { requisition: 'req-1' });
    t.strictSame(
      (await f.store.listSteps(accepted.jobId)).map((s) => s.result).sort(),
      ['INITIATED', 'req-1', '{"a":1}'].sort(),
    );
    await doomed.stop(0).catch(() => undefined);
  });
}
