import type { Migration } from './migrations.js';

/**
 * v63: SQLite's job_attempts key (v15, without-rowid.ts) gains `requeues`, the operator retries
 * an attempt ran after (v45, operator-retries.ts). The key was the whole record but the detail, so
 * that a record written twice is kept once (ON CONFLICT DO NOTHING); but an operator's retry
 * numbers attempts from 1 again, so the first attempt after it, started and ended in the same
 * milliseconds as an earlier one of the same number and outcome (fast refusals take under one),
 * was the earlier one's key: dropped, and the job's history lost an attempt. The budget an
 * attempt ran in tells the two apart; the key's order is the timeline's read order
 * (LIST_JOB_ATTEMPTS_SQL: started, ended, requeues, attempt, outcome).
 *
 * The table is rebuilt as v15 did (created under a new name, filled, swapped; in the migration's
 * transaction): every row is kept, as no two rows equal in the old key differ in the new one.
 * PostgreSQL's job_attempts has no key (a heap; its inserts never conflict), so both attempts
 * were always kept there: the version is recorded and nothing changes.
 */
const VERSION = 63;
const NAME = "job_attempts: an attempt after an operator's retry is never one before it (requeues in SQLite's key)";

const COLUMNS = 'job_id, started_at, ended_at, attempt, outcome, detail, repeats, first_started_at, requeues';

export const SQLITE_ATTEMPT_BUDGET_KEY: Migration = {
  version: VERSION,
  name: NAME,
  sql: `
CREATE TABLE job_attempts_v63 (
  job_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT,
  repeats INTEGER NOT NULL DEFAULT 1,
  first_started_at INTEGER,
  requeues INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, started_at, ended_at, requeues, attempt, outcome)
) WITHOUT ROWID;
INSERT INTO job_attempts_v63 (${COLUMNS}) SELECT ${COLUMNS} FROM job_attempts;
DROP TABLE job_attempts;
ALTER TABLE job_attempts_v63 RENAME TO job_attempts;
`,
};

export const POSTGRES_ATTEMPT_BUDGET_KEY: Migration = { version: VERSION, name: NAME, sql: 'SELECT 1;' };
