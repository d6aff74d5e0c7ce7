/**
 * A crash between the steps of a multi-step write: instance 1 initiates a draft (journaled) and
 * dies before submitting. Instance 2, on the same database, takes the job when the lease runs
 * out and resumes at "submit": the draft is initiated once and submitted once.
 */
import t from 'tap';
import { faultyUpstreamHandlers } from '../../../sandbox/faulty-upstream/handlers.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { FAST, outboxFixture, waitFor } from '../../support/outbox-fixture.js';

t.comment(
  process.env.TEST_DATABASE_URL ? 'PostgreSQL tier: on' : 'PostgreSQL tier skipped: TEST_DATABASE_URL is not set',
);

for (const engine of engineCases()) {
  t.test(`resume after a crash between steps on ${engine.name}`, { skip: engine.skip }, async (t) => {
    const f = await outboxFixture(t, engine); // f.outbox is instance 2, started later
    const h = faultyUpstreamHandlers(f.upstream.url, 'faulty');

    // Instance 1: initiates through the real handler's first step, then "crashes".
    const store1 = await openStore({ databaseUrl: f.databaseUrl });
    // an attempt timeout that a loaded machine does not hit during the initiate (an aborted initiate never "crashes")
    const doomed = new Outbox({ store: store1, options: { ...FAST, leaseMs: 1_500, attemptTimeoutMs: 1_200 } });
    let crashed!: () => void;
    const initiated = new Promise<void>((r) => {
      crashed = r;
    });
    doomed.register('twoStep', 'faulty', async (job, journal, ctx) => {
      try {
        await journal.run('initiate', async () => {
          const res = await fetch(`${f.upstream.url}/drafts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ key: job.idempotencyKey }),
            signal: ctx.signal,
          });
          return { draftId: String(((await res.json()) as { draftId: string }).draftId) };
        });
      } finally {
        crashed(); // also when the initiate failed: the assertions below say so instead of the test hanging
      }
      return new Promise(() => undefined); // never reaches submit: the process is gone
    });
    const accepted = await doomed.acceptWrite({
      flow: 'twoStep',
      system: 'faulty',
      idempotencyKey: 'REQ-1',
      payload: {},
      deadlineMs: 50,
    });
    t.match(accepted, { kind: 'queued' }, 'the client got 202');
    await initiated;
    await store1.close(); // the crash: instance 1 never writes again
    t.equal(f.upstream.state.initiated.get('REQ-1'), 1, 'instance 1 initiated the draft');
    t.notOk(f.upstream.state.applied.has('REQ-1'), 'and never submitted it');

    // Instance 2 (the fixture's outbox, real 2-step handler) picks the job up after the lease.
    let resumedSteps: string[] = [];
    f.outbox.register('twoStep', 'faulty', async (job, journal, ctx) => {
      resumedSteps = (await f.store.listSteps(job.id)).map((s) => s.step);
      return h.twoStep(job, journal, ctx);
    });
    f.outbox.startWorker();
    const done = await waitFor(async () => (await f.store.getJob(accepted.jobId))?.status === 'done');
    t.ok(done, 'the job was delivered by instance 2');
    t.same(resumedSteps, ['initiate'], 'instance 2 found the initiate step in the journal');
    const job = await f.store.getJob(accepted.jobId);
    t.equal(f.upstream.state.initiated.get('REQ-1'), 1, 'the completed step was not repeated');
    t.equal(f.upstream.state.applied.get('REQ-1')?.count, 1, 'submitted exactly once');
    const [draft] = [...f.upstream.state.drafts.values()];
    t.equal(job?.result?.ids.draft, draft.id, 'the result carries the draft from the first instance');
    t.ok((job?.attempts ?? 0) >= 2, 'the resumed run is a later attempt');
    t.same((await f.store.listSteps(accepted.jobId)).map((s) => s.step).sort(), ['initiate', 'submit']);
    await doomed.stop(0).catch(() => undefined);
  });
}
