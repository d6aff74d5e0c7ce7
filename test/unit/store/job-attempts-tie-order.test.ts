/**
 * A job's timeline (listJobAttempts) lists attempts that started and ended in the same
 * milliseconds in the order they ran: by the operator's retries they ran after (requeues), then
 * by attempt number. Before, only (started_at, ended_at) ordered it: SQLite happened to answer in
 * its key's order and PostgreSQL in whatever order its heap held, so the console, the admin API
 * and the tests read one timeline two ways. Fast refusals (a login held, a parent not yet there)
 * end in the millisecond they begin, so such ties are real on a quick machine. Both engines.
 */
import t from 'tap';
import type { JobAttempt } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const AT = 1_780_000_000_000;

/** An attempt in the shared millisecond: its number, budget and a detail naming it. */
const attempt = (n: number, requeues: number): JobAttempt => ({
  jobId: 'job-tie',
  startedAt: AT,
  endedAt: AT,
  attempt: n,
  outcome: 'retry',
  detail: `attempt ${n} after ${requeues} retries`,
  requeues,
});

for (const engine of engineCases()) {
  t.test(
    `attempts in one millisecond read back in the order they ran (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      // written out of order (the heap's order is not the timeline's); the retried budget's first
      // attempt is numbered 1 again, so the attempt number alone would put it first
      for (const a of [attempt(1, 1), attempt(3, 0), attempt(2, 0)]) {
        await store.appendJobAttempt(a);
      }
      const expected = ['attempt 2 after 0 retries', 'attempt 3 after 0 retries', 'attempt 1 after 1 retries'];
      t.same(
        (await store.listJobAttempts('job-tie')).map((a) => a.detail),
        expected,
        'by the retries they ran after, then by attempt number',
      );
      t.same(
        (await store.listJobAttempts('job-tie', 2)).map((a) => a.detail),
        expected.slice(-2),
        'a limit keeps the newest of them, oldest first',
      );
    },
  );
}
