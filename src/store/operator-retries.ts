import type { Migration } from './migrations.js';

/**
 * An operator's retry (Store.requeueJob: admin API, console, `cli outbox retry`) starts a job
 * over with a fresh attempt budget, its attempts counted from 1 again. The job's timeline counts an
 * attempt in its newest row when it repeats that row (repeated-attempts.ts): same outcome, same
 * attempt number, same reason. A facility waiting for its parent looks again uncharged, as
 * attempt 1, before a retry and after it, so its first look after the retry repeated the row of
 * its looks before it: that row then ran from before the retry to after it, and the timeline (the
 * console's, which places each row at its end, after the retry's audit entry) no longer showed
 * that the retry happened, nor which looks came after it.
 *
 * So the job counts its retries (`outbox_jobs.requeues`), each attempt keeps the count its job had
 * when it was claimed (`job_attempts.requeues`), and only a row of the same count is counted on.
 * A count, not the retry's instant: an attempt is noted after its job is rescheduled (outbox.ts),
 * so a retry can come between an attempt and its row, and on PostgreSQL the retry's instant and
 * the attempt's are two instances' clocks. The attempt's own count says which budget it ran in.
 * Rows from before this migration, and jobs, start at 0 (a job retried before it may still have
 * one row counted across that retry, as before).
 */
export const OPERATOR_RETRIES_VERSION = 45;

export const OPERATOR_RETRIES: Migration = {
  version: OPERATOR_RETRIES_VERSION,
  name: "outbox_jobs, job_attempts: an operator's retries counted (requeues), so no timeline row spans one",
  // constant defaults: neither engine rewrites the tables (PostgreSQL 11+ keeps them in the catalogue)
  sql: `
ALTER TABLE outbox_jobs ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_attempts ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;
`,
};
