import type { Migration } from './migrations.js';

/**
 * When a job began failing in its current attempt budget (`outbox_jobs.failing_since`): set by
 * the first failure rescheduleJob records (a reschedule with a reason: a charged retry, a probe
 * held uncharged, a wait the system asked for), kept by the later ones, cleared by an operator's
 * retry (requeueJob: a new budget, so the whole hold again). The outbox bounds how long a write
 * failing alone is held uncharged by it (outbox.ts heldAloneTooLong, lastAttemptHold).
 *
 * It was read from the job's timeline: the newest 200 job_attempts rows, so a job with more rows
 * than that (a write held at every probe through a long outage) got a wrong age, and an operator's
 * retry was told only by the attempt number starting over. One column, in the job's own row,
 * read with the claim that starts the attempt: no query more per failure.
 *
 * Unfinished jobs failing as the migration runs take the start of their first failed attempt
 * ('retry') in their current budget (same `requeues`) since their last row of another outcome
 * (done, dead, rejected); rows of waits behind an open breaker ('deferred') do not break it. A
 * job with none keeps NULL: its next failure sets it.
 */
function failingSince(epochMs: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 51,
    name: 'outbox_jobs: when the job began failing in its attempt budget (failing_since)',
    sql: `
ALTER TABLE outbox_jobs ADD COLUMN failing_since ${epochMs};
UPDATE outbox_jobs SET failing_since = (
  SELECT MIN(COALESCE(a.first_started_at, a.started_at)) FROM job_attempts a
  WHERE a.job_id = outbox_jobs.id AND a.outcome = 'retry' AND a.requeues = outbox_jobs.requeues
    AND a.started_at > COALESCE((SELECT MAX(b.started_at) FROM job_attempts b
      WHERE b.job_id = outbox_jobs.id AND b.outcome NOT IN ('retry', 'deferred')), -1))
WHERE status IN ('pending', 'in-flight') AND last_error IS NOT NULL;
`,
  };
}

export const SQLITE_FAILING_SINCE = failingSince('INTEGER');
export const POSTGRES_FAILING_SINCE = failingSince('BIGINT');
