import type { Store } from '../../src/store/index.js';

/**
 * A job's attempt timeline (job_attempts) as the tests of its migrations read it: the reason of a
 * facility's look at a parent still waiting, the one row an older build wrote of it, and the rows.
 */
export const WAIT = 'dhis2: the parent Location/d1 is still waiting to be written; this facility is written after it';

/** Job `old`'s one attempt, as a build before the migration under test wrote it. */
export const INSERT_OLD = `INSERT INTO job_attempts (job_id, started_at, ended_at, attempt, outcome, detail) VALUES
  ('old', 100, 110, 1, 'retry', '${WAIT}')`;

/** Each row as [started, ended, attempt, outcome, repeats, first started]. */
export async function attemptRows(store: Store, jobId: string, limit?: number): Promise<unknown[][]> {
  return (await store.listJobAttempts(jobId, limit)).map((a) => [
    a.startedAt,
    a.endedAt,
    a.attempt,
    a.outcome,
    a.repeats,
    a.firstStartedAt,
  ]);
}
