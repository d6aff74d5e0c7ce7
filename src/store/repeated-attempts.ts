import type { Migration } from './migrations.js';
import type { JobAttempt } from './types.js';
import { jobAttemptValues } from './console-sessions.js';

/**
 * A job's timeline (job_attempts) keeps one row for attempts that repeat one another: a facility
 * waiting for its parent's write (routing/linked-parent.ts) looks again every 2-60 s, uncharged,
 * for as long as the parent waits, and each look was a row of its own, with no cap: a parent
 * stuck for a week gave each child thousands, and the job's detail (admin API, console,
 * `cli outbox show`) lists only its newest 200, so they crowded out the rest of its history.
 *
 * An attempt repeats the job's newest row when it came back the same way (`retry` or `deferred`),
 * under the same attempt number (so it was not charged: a charged one counts up) and for the same
 * reason. That row is then updated in place: its start and end become the new attempt's (so its
 * duration is still one attempt's, and the timeline's newest entry is the newest attempt),
 * `repeats` counts the attempts it stands for, and `first_started_at` keeps when the first began.
 * Any other attempt, or a different reason, starts a row of its own, so a change is never folded
 * away; so does the first attempt after an operator's retry (operator-retries.ts), so no row spans
 * a retry.
 */
export const REPEATED_ATTEMPTS_VERSION = 44;
const NAME = 'job_attempts: an attempt repeating the newest one counted in its row (repeats, first_started_at)';

function repeatedAttempts(epochMs: string): Migration {
  return {
    version: REPEATED_ATTEMPTS_VERSION,
    name: NAME,
    // a constant default: neither engine rewrites the table (PostgreSQL 11+ keeps it in the catalogue)
    sql: `
ALTER TABLE job_attempts ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
ALTER TABLE job_attempts ADD COLUMN first_started_at ${epochMs};
`,
  };
}

export const SQLITE_REPEATED_ATTEMPTS = repeatedAttempts('INTEGER');
export const POSTGRES_REPEATED_ATTEMPTS = repeatedAttempts('BIGINT');

/** The outcomes of an attempt after which the job comes back: only these can repeat. */
const REPEATABLE_OUTCOMES = new Set<JobAttempt['outcome']>(['retry', 'deferred']);

/** Whether `attempt` may be counted in the job's newest row (REPEAT_NEWEST_ATTEMPT_SQL), both engines. */
export function mayRepeat(attempt: JobAttempt): boolean {
  return REPEATABLE_OUTCOMES.has(attempt.outcome) && attempt.detail !== undefined;
}

/**
 * An appended attempt's values: jobAttemptValues' six, then $7 the operator retries its job had
 * when it was claimed (operator-retries.ts).
 */
export function appendedAttemptValues(attempt: JobAttempt): unknown[] {
  return [...jobAttemptValues(attempt), attempt.requeues ?? 0];
}

/**
 * An attempt as a row of its own (values as appendedAttemptValues), appended or noted with its
 * job's end. ON CONFLICT: an identical record is kept once on SQLite (v63's key,
 * attempt-budget-key.ts); PostgreSQL has no key.
 */
export const INSERT_APPENDED_ATTEMPT_SQL = `INSERT INTO job_attempts (job_id, started_at, ended_at, attempt, outcome, detail, requeues)
  VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`;

/**
 * The newest row of job $1 taken over by a repeat of it (values as appendedAttemptValues: $2 started,
 * $3 ended, $4 attempt, $5 outcome, $6 detail, $7 the job's operator retries), only when that row
 * ran after as many retries as this attempt did. The right-hand sides read the row as it was, so
 * `first_started_at` keeps the first start. The newest row is found by (job_id, started_at),
 * both engines' index (v11; SQLite's key since v15).
 */
export const REPEAT_NEWEST_ATTEMPT_SQL = `UPDATE job_attempts
  SET first_started_at = COALESCE(first_started_at, started_at), started_at = $2, ended_at = $3,
    repeats = repeats + 1
  WHERE job_id = $1 AND attempt = $4 AND outcome = $5 AND detail = $6 AND requeues = $7
    AND started_at = (SELECT MAX(started_at) FROM job_attempts WHERE job_id = $1)`;

/**
 * PostgreSQL's append in one statement: the repeat, else a new row. A job's attempts are noted one
 * after another (each as it ends, the next not before the job is due and leased again), so no two
 * appends of one job race.
 */
export const APPEND_JOB_ATTEMPT_POSTGRES_SQL = `WITH repeated AS (${REPEAT_NEWEST_ATTEMPT_SQL} RETURNING 1)
  INSERT INTO job_attempts (job_id, started_at, ended_at, attempt, outcome, detail, requeues)
  SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM repeated)`;
