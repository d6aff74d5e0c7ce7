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
 * Nothing is backfilled: jobs failing as the migration runs keep NULL, and their next failure
 * starts their age, so each is given the whole bound once more (held longer, never dead-lettered
 * sooner: a job without one reads as failing for 0 ms). Read from their timelines in the
 * migration's transaction, the ALTER's ACCESS EXCLUSIVE lock on outbox_jobs was held through an
 * UPDATE of every failing job: 8 s with 100,000 of them (an outage's backlog) over 1.9M attempt
 * rows, every instance's accepts, claims and reads waiting meanwhile. ADD COLUMN without a default
 * alone rewrites nothing (both engines): its lock is held for an instant.
 */
function failingSince(epochMs: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 51,
    name: 'outbox_jobs: when the job began failing in its attempt budget (failing_since)',
    sql: `ALTER TABLE outbox_jobs ADD COLUMN failing_since ${epochMs};`,
  };
}

export const SQLITE_FAILING_SINCE = failingSince('INTEGER');
export const POSTGRES_FAILING_SINCE = failingSince('BIGINT');
