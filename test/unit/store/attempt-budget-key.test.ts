/**
 * An attempt after an operator's retry is kept in its job's history even when it started and
 * ended in the same milliseconds as an earlier one of the same number and outcome (a retry numbers
 * attempts from 1 again; fast refusals take under a millisecond). SQLite's job_attempts key (v15)
 * left out the budget (`requeues`), so the later one was taken for the earlier one written twice
 * and dropped; v63 puts it in the key. PostgreSQL has no key there and always kept both. A record
 * written twice is still kept once; v63 keeps every row a database had. The attempt noted with a
 * job's end (finishJob) is kept in its budget too: it was written as 0, so a delivery after a retry
 * read before that budget's attempts of its milliseconds. Both engines.
 */
import t from 'tap';
import type { JobAttempt, Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import { newJob } from '../../support/new-job.js';

const AT = 1_780_000_000_000;

/** Attempt 1 of `jobId` in the shared millisecond, in the budget after `requeues` retries. */
const first = (jobId: string, outcome: JobAttempt['outcome'], requeues: number): JobAttempt => ({
  jobId,
  startedAt: AT,
  endedAt: AT,
  attempt: 1,
  outcome,
  detail: 'UpstreamError 503: down',
  requeues,
});

const budgets = async (store: Store, jobId: string) =>
  (await store.listJobAttempts(jobId)).map((a) => `${a.attempt} ${a.outcome} x${a.repeats ?? 1}`);

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('the same attempt after a retry is a row of its own', async (t) => {
      const { store } = await freshStore(engine, t);
      // 'retry' may be counted in the newest row (same budget only); 'dead' never is
      for (const outcome of ['retry', 'dead'] as const) {
        const job = `job-${outcome}`;
        await store.appendJobAttempt(first(job, outcome, 0));
        await store.appendJobAttempt(first(job, outcome, 1));
        t.same(await budgets(store, job), [`1 ${outcome} x1`, `1 ${outcome} x1`], `${outcome}: both attempts kept`);
      }
    });

    t.test('a record written twice is still one row', async (t) => {
      const { store } = await freshStore(engine, t);
      await store.appendJobAttempt(first('job-twice', 'dead', 1));
      await store.appendJobAttempt(first('job-twice', 'dead', 1));
      // PostgreSQL has no key on the table: it keeps what it is given (as before v63)
      const expected = engine.name === 'sqlite' ? ['1 dead x1'] : ['1 dead x1', '1 dead x1'];
      t.same(await budgets(store, 'job-twice'), expected);
    });

    t.test("a delivered attempt is kept in the budget it ran in (the job's end)", async (t) => {
      const { store } = await freshStore(engine, t);
      const claim = async () => {
        const [job] = await store.claimJobs({
          system: 'openlmis',
          flows: ['order'],
          limit: 1,
          leaseOwner: 'w1',
          leaseMs: 60_000,
          now: AT,
        });
        return job!;
      };
      await store.recordWrite(newJob('job-done', { createdAt: AT, nextAttemptAt: AT }));
      await claim();
      await store.rescheduleJob('job-done', 'w1', AT, 'down', false, AT);
      t.ok(await store.requeueJob('job-done', { actor: 'ops', action: 'outbox.retry', subject: 'job-done' }, AT));
      t.equal((await claim()).requeues, 1, "claimed in the retry's budget");
      await store.appendJobAttempt(first('job-done', 'retry', 1));
      await store.rescheduleJob('job-done', 'w1', AT, 'down', false, AT);
      await claim();
      // finishJob notes the delivered attempt with the end (outbox.ts attemptRecord: its budget)
      const done: JobAttempt = {
        jobId: 'job-done',
        startedAt: AT,
        endedAt: AT,
        attempt: 2,
        outcome: 'done',
        requeues: 1,
      };
      t.ok(
        await store.finishJob('job-done', 'w1', { status: 'done', result: { system: 'openlmis', ids: {} } }, AT, done),
      );
      // the same milliseconds: the budget, then the number, order them as they ran
      t.same(await budgets(store, 'job-done'), ['1 retry x1', '2 done x1'], 'the delivery after the retry it followed');
    });

    t.test('v63 keeps every row an older database had', async (t) => {
      const { store } = await storeMigratedFrom(
        t,
        engine,
        63,
        `INSERT INTO job_attempts (job_id, started_at, ended_at, attempt, outcome, detail, repeats, first_started_at, requeues)
         VALUES ('job-old', ${AT - 9_000}, ${AT - 8_000}, 1, 'retry', 'looked', 3, ${AT - 20_000}, 0),
                ('job-old', ${AT}, ${AT}, 1, 'dead', 'UpstreamError 503: down', 1, NULL, 0),
                ('job-budget', ${AT}, ${AT}, 1, 'retry', 'UpstreamError 503: down', 1, NULL, 1);`,
      );
      const [repeated, dead] = await store.listJobAttempts('job-old');
      t.match(repeated, { startedAt: AT - 9_000, endedAt: AT - 8_000, repeats: 3, firstStartedAt: AT - 20_000 });
      t.match(dead, { startedAt: AT, outcome: 'dead', detail: 'UpstreamError 503: down' });
      await store.appendJobAttempt(first('job-old', 'dead', 1));
      t.same(await budgets(store, 'job-old'), ['1 retry x3', '1 dead x1', '1 dead x1'], 'and then the retried one');
      // its budget kept: the same attempt in that budget is counted in its row, not one of its own
      await store.appendJobAttempt(first('job-budget', 'retry', 1));
      t.same(await budgets(store, 'job-budget'), ['1 retry x2'], "a row's budget is kept");
    });
  });
}
