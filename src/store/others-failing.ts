import type { Migration } from './migrations.js';

/**
 * Whether other writes of a system fail together with one at its bound (Store.othersFailingTogether):
 * the circuit breaker's "others failing since the last success" (breakers.ts othersFailing), read
 * from what every instance stores alike. The breaker's is one process's memory: a restarted
 * instance starts with none, so with instances restarting very often a write failing 504 with
 * the others while the readiness check passed reached its last attempt and was dead-lettered at
 * the bound (~2 h at the shipped settings).
 *
 * Another job of the system, not ended, whose latest failure was recent and its own system serving
 * nobody (outage_failed_at, v65: a failure of another system it reads does not count), and which
 * began failing (failing_since, v51) after the system's latest delivery: the newest done job's
 * end, read from v64's partial index. Two poisoned records failing 504 close together while the
 * system delivers other writes began failing before a delivery, so neither holds the other. No
 * store write more per delivery: a done job's end already sets its updated_at; the index is kept
 * only as a job becomes done.
 *
 * v64: done jobs by system and end time. PostgreSQL builds it CONCURRENTLY (pg-migrations.ts):
 * an upgrade over millions of done jobs holds back no instance's writes.
 */
export const DONE_BY_SYSTEM_INDEX: Migration = {
  version: 64,
  name: 'outbox: done jobs by system and end, for others failing since the last delivery',
  sql: '',
  indexes: [{ name: 'outbox_jobs_done_by_system', on: "outbox_jobs (system, updated_at) WHERE status = 'done'" }],
};

/**
 * v65: when a job last failed with its own system serving nobody (`outage_failed_at`: no answer, a
 * 502/503/504 of the job's system; rescheduleJob's `ownOutage`), cleared by any other failure of
 * the attempt (not our own database's: outbox.ts retryAfterStoreFailure keeps it), renewed by a
 * deferral because its system's breaker is open (rescheduleJob's 'renew'): a job claimed and given
 * back untried so (outbox.ts recordFailure's BrokenCircuitError) still fails so, and kept unrenewed
 * its mark aged out of `failedSince` (two backoff caps) while others failed together. Any other
 * deferral (busy, behind an earlier write, a slot race) leaves it as it was: renewed by those too,
 * a poisoned write was held longer than its last real failure warranted. v64
 * counted any recent failure of another job of the system, so writes of system A failing because
 * system B was down (a lookup in B) held A's poisoned write for as long as B's outage lasted.
 * Indexed by system and that time over the jobs not ended, so the claim reads an index range.
 * ADD COLUMN without a default rewrites nothing (both engines); nothing is backfilled (a job
 * failing as it runs counts again from its next failure: a write is held less, never lost).
 */
function outageFailedAt(epochMs: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 65,
    name: 'outbox: when a job last failed with its own system serving nobody (outage_failed_at)',
    sql: `ALTER TABLE outbox_jobs ADD COLUMN outage_failed_at ${epochMs};`,
    indexes: [
      {
        name: 'outbox_jobs_outage_failed',
        on: "outbox_jobs (system, outage_failed_at) WHERE status IN ('pending', 'in-flight') AND outage_failed_at IS NOT NULL",
      },
    ],
  };
}

export const SQLITE_OUTAGE_FAILED_AT = outageFailedAt('INTEGER');
export const POSTGRES_OUTAGE_FAILED_AT = outageFailedAt('BIGINT');

/**
 * One range of v65's index, newest first: the system's jobs not ended whose own-outage failure is
 * since `failedSince`, each kept only if it is another job and began failing after the latest
 * delivery, and the first kept one answers. Those filters are inside the range read, not after a
 * LIMIT over it: the newest marks may all be of jobs that began failing before a delivery (poisoned
 * writes failing 504 among deliveries, or the job asking), and a cut taken before the filters hid
 * the one that counts. The read stops at the first match, so in an outage (every job failing since
 * the last delivery) it reads the first entries; it reads more only for recent own-outage failures
 * of jobs that began before the latest delivery, bounded by the range (within two backoff caps).
 */
const OTHERS_FAILING_TOGETHER = `SELECT 1 FROM outbox_jobs o
  WHERE o.system = ? AND o.status IN ('pending', 'in-flight') AND o.outage_failed_at IS NOT NULL
    AND o.outage_failed_at >= ? AND o.id <> ? AND o.failing_since IS NOT NULL
    AND o.failing_since > COALESCE(
      (SELECT MAX(d.updated_at) FROM outbox_jobs d WHERE d.system = ? AND d.status = 'done'), -1)
  ORDER BY o.outage_failed_at DESC LIMIT 1`;

export const SQLITE_OTHERS_FAILING_TOGETHER_SQL = OTHERS_FAILING_TOGETHER;

export const PG_OTHERS_FAILING_TOGETHER_SQL = ['$1', '$2', '$3', '$4'].reduce(
  (sql, param) => sql.replace('?', param),
  OTHERS_FAILING_TOGETHER,
);

/** The statement's arguments, in order, for a job `jobId` of `system` and failures since `failedSince`. */
export function othersFailingTogetherValues(system: string, jobId: string, failedSince: number): unknown[] {
  return [system, failedSince, jobId, system];
}
