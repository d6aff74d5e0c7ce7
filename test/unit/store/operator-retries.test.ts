/**
 * Migration v45 and the timeline across an operator's retry (operator-retries.ts): an attempt
 * that repeats the job's newest row (same attempt number, outcome and reason) is counted in it
 * only when both ran in the same attempt budget, so the first look after a retry starts a row of
 * its own instead of stretching the row from before the retry over it. The budget is the one the
 * attempt was claimed in, so an attempt a retry overtook before it was noted stays with the rows
 * before. On both engines, from a database written before v45.
 */
import t, { type Test } from 'tap';
import type { Store } from '../../../src/store/index.js';
import type { OutboxJob } from '../../../src/store/types.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import { attemptRows as rows, INSERT_OLD, WAIT } from '../../support/attempt-timeline.js';
const AUDIT = { actor: 'Ama', action: 'outbox.retry', subject: 'wait', details: {} };
const CLAIM = { system: 'dhis2', flows: ['facility'], limit: 1, leaseOwner: 'w', leaseMs: 60_000 };

/** The job claimed at `at` (the worker's lease). */
async function claim(t: Test, store: Store, at: number): Promise<OutboxJob> {
  const [job] = await store.claimJobs({ ...CLAIM, now: at });
  t.ok(job, `claimed at ${at}`);
  return job;
}

/** A look at the waiting parent by the claimed `job`, noted as the worker notes it, taking 10 ms. */
async function noteLook(store: Store, job: OutboxJob, at: number): Promise<void> {
  await store.appendJobAttempt({
    jobId: job.id,
    startedAt: at,
    endedAt: at + 10,
    attempt: job.attempts,
    outcome: 'retry',
    detail: WAIT,
    ...(job.requeues ? { requeues: job.requeues } : {}),
  });
}

/** Uncharged, due again at `dueAt`, as a facility waiting for its parent is rescheduled. */
async function reschedule(store: Store, job: OutboxJob, at: number, dueAt: number): Promise<void> {
  await store.rescheduleJob(job.id, 'w', dueAt, WAIT, true, at + 10);
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 45, INSERT_OLD);
    t.ok((await store.migrationVersions()).includes(45), 'v45 applied');

    await store.appendJobAttempt({
      jobId: 'old',
      startedAt: 200,
      endedAt: 210,
      attempt: 1,
      outcome: 'retry',
      detail: WAIT,
    });
    t.same(await rows(store, 'old'), [[200, 210, 1, 'retry', 2, 100]], 'a row from before v45 is counted on as before');

    await store.recordWrites(
      [
        {
          id: 'wait',
          flow: 'facility',
          system: 'dhis2',
          idempotencyKey: 'key-wait',
          payloadHash: 'hash-wait',
          payload: { id: 'f1' },
          status: 'pending',
          attempts: 0,
          nextAttemptAt: 1_000,
          createdAt: 1_000,
        },
      ],
      [],
    );
    for (const [at, dueAt] of [
      [1_000, 3_000],
      [3_000, 5_000],
    ]) {
      const job = await claim(t, store, at);
      await reschedule(store, job, at, dueAt);
      await noteLook(store, job, at);
    }
    t.same(await rows(store, 'wait'), [[3_000, 3_010, 1, 'retry', 2, 1_000]], 'two looks before the retry: one row');

    const retried = await store.requeueJob('wait', AUDIT, 4_000, 'pending');
    t.equal(retried?.requeues, 1, "the operator's retry is counted on the job");
    for (const [at, dueAt] of [
      [4_000, 6_000],
      [6_000, 8_000],
    ]) {
      const job = await claim(t, store, at);
      t.equal(job.attempts, 1, 'each look after it is attempt 1 again, as before it');
      await reschedule(store, job, at, dueAt);
      await noteLook(store, job, at);
    }
    t.same(
      await rows(store, 'wait'),
      [
        [3_000, 3_010, 1, 'retry', 2, 1_000],
        [6_000, 6_010, 1, 'retry', 2, 4_000],
      ],
      'the looks after the retry are a row of their own: no row spans the retry',
    );

    // claimed, rescheduled, then retried before its look is noted (the worker notes it last)
    const overtaken = await claim(t, store, 8_000);
    await reschedule(store, overtaken, 8_000, 10_000);
    t.equal((await store.requeueJob('wait', AUDIT, 9_000, 'pending'))?.requeues, 2, 'a second retry');
    await noteLook(store, overtaken, 8_000);
    const after = await claim(t, store, 9_000);
    await noteLook(store, after, 9_000);
    t.same(
      await rows(store, 'wait'),
      [
        [3_000, 3_010, 1, 'retry', 2, 1_000],
        [8_000, 8_010, 1, 'retry', 3, 4_000],
        [9_000, 9_010, 1, 'retry', undefined, undefined],
      ],
      'a look claimed before a retry and noted after it stays with the looks before it',
    );
    t.equal((await store.getJob('wait'))?.requeues, 2, 'the job says how many times it was retried');
  });
}
