/**
 * Migration v51 and outbox_jobs.failing_since (failing-since.ts): when a job began failing in its
 * attempt budget, set by the first reschedule with a reason, kept by the later ones, untouched by
 * a reschedule without one (a wait behind an open breaker), cleared by an operator's retry. Jobs
 * failing as the migration runs are not rewritten (an UPDATE of every one of them held outbox_jobs
 * locked, every instance waiting): none until their next failure, which starts it. On both
 * engines, from a database written before v51.
 */
import t, { type Test } from 'tap';
import type { Store } from '../../../src/store/index.js';
import type { OutboxJob } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';
import { storeMigratedFrom } from '../../support/old-database.js';

const CLAIM = { system: 'lmis', flows: ['order'], limit: 1, leaseOwner: 'w', leaseMs: 60_000 };
const AUDIT = { actor: 'Ama', action: 'outbox.retry', subject: 'new', details: {} };

const job = (id: string, status: string, lastError: string | null, requeues: number) =>
  `('${id}', 'order', 'lmis', 'key-${id}', 'hash-${id}', '{}', '${status}', 1, 900000, ${lastError === null ? 'NULL' : `'${lastError}'`}, 10, 10, ${requeues})`;
const row = (id: string, started: number, outcome: string, requeues: number, firstStarted: number | null = null) =>
  `('${id}', ${started}, ${started + 5}, 1, '${outcome}', 'x', ${requeues}, ${firstStarted ?? 'NULL'})`;

/** Jobs and timelines as v50 left them. */
const OLD = `
INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts, next_attempt_at,
  last_error, created_at, updated_at, requeues) VALUES
  ${job('failing', 'pending', 'Bad Gateway', 1)},
  ${job('never-failed', 'pending', null, 0)},
  ${job('ended', 'done', 'Bad Gateway', 0)},
  ${job('after-dead', 'pending', 'Bad Gateway', 0)};
INSERT INTO job_attempts (job_id, started_at, ended_at, attempt, outcome, detail, requeues, first_started_at) VALUES
  ${row('failing', 50, 'retry', 0)},
  ${row('failing', 100, 'dead', 0)},
  ${row('failing', 300, 'retry', 1, 250)},
  ${row('failing', 400, 'deferred', 1)},
  ${row('failing', 500, 'retry', 1)},
  ${row('ended', 50, 'retry', 0)},
  ${row('ended', 100, 'done', 0)},
  ${row('after-dead', 50, 'retry', 0)},
  ${row('after-dead', 100, 'dead', 0)},
  ${row('after-dead', 700, 'retry', 0)};
`;

async function claimed(t: Test, store: Store, at: number): Promise<OutboxJob> {
  const [job] = await store.claimJobs({ ...CLAIM, now: at });
  t.equal(job?.id, 'new', `claimed at ${at}`);
  return job;
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 51, OLD);
    const since = async (id: string) => (await store.getJob(id))?.failingSince;

    for (const id of ['failing', 'never-failed', 'ended', 'after-dead'])
      t.equal(await since(id), undefined, `${id}: none, its row left as it was`);
    const due = await store.claimJobs({ ...CLAIM, limit: 10, now: 900_000 });
    t.ok(
      due.some((j) => j.id === 'failing'),
      'a job failing before the upgrade claimed',
    );
    await store.rescheduleJob('failing', 'w', 1_000_000, 'Bad Gateway', true, 900_100);
    t.equal(await since('failing'), 900_100, 'its next failure starts its age: the whole bound again, never less');

    await store.recordWrites(
      [
        {
          id: 'new',
          flow: 'order',
          system: 'lmis',
          idempotencyKey: 'key-new',
          payloadHash: 'hash-new',
          payload: {},
          status: 'pending',
          attempts: 0,
          nextAttemptAt: 1_000,
          createdAt: 1_000,
        },
      ],
      [],
    );
    let job = await claimed(t, store, 1_000);
    t.equal(job.failingSince, undefined, 'a new job: none');
    await store.rescheduleJob(job.id, 'w', 2_000, undefined, true, 1_100);
    t.equal(await since('new'), undefined, 'a wait without a reason is no failure');

    job = await claimed(t, store, 2_000);
    await store.rescheduleJob(job.id, 'w', 3_000, 'Bad Gateway', false, 2_100);
    t.equal(await since('new'), 2_100, 'its first failure sets it');

    job = await claimed(t, store, 3_000);
    t.equal(job.failingSince, 2_100, 'the claim reads it');
    await store.rescheduleJob(job.id, 'w', 4_000, 'Gateway Timeout', true, 3_100);
    job = await claimed(t, store, 4_000);
    await store.rescheduleJob(job.id, 'w', 5_000, undefined, true, 4_100);
    t.equal(await since('new'), 2_100, 'later failures and waits keep it');

    t.ok(await store.requeueJob('new', AUDIT, 4_200), 'retried by an operator');
    t.equal(await since('new'), undefined, "an operator's retry clears it");
    job = await claimed(t, store, 4_300);
    await store.rescheduleJob(job.id, 'w', 6_000, 'Bad Gateway', false, 4_400);
    t.equal(await since('new'), 4_400, 'the next failure starts it again');
  });
}

/**
 * A write held uncharged has its whole attempt budget (attempts 0) but a failing age. Due now, an
 * operator's retry of it was refused as "already due with a fresh attempt budget: nothing to
 * retry", and its age stayed: the hold then measured from the first failure, not from the retry.
 */
for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a retry of a write held uncharged and due clears its failing age`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      await store.recordWrites([newJob('new', { system: 'lmis', idempotencyKey: 'key-new', payload: {} })], []);
      let job = await claimed(t, store, 1_000);
      await store.rescheduleJob(job.id, 'w', 2_000, 'Gateway Timeout', true, 1_100); // held, uncharged
      job = await claimed(t, store, 2_000);
      // its slot taken meanwhile (outbox.ts): given back due at once, uncharged, no failure
      await store.rescheduleJob(job.id, 'w', 2_050, undefined, true, 2_050);
      t.match(await store.getJob('new'), { status: 'pending', attempts: 0, failingSince: 1_100 }, 'due, budget whole');

      t.match(await store.requeueJob('new', AUDIT, 2_100), { status: 'pending', requeues: 1 }, 'retried');
      t.equal((await store.getJob('new'))?.failingSince, undefined, "the operator's retry cleared its failing age");
    },
  );
}
