import type { Migration } from './migrations.js';

/**
 * Whether other writes of a system fail together with one at its bound (Store.othersFailingTogether):
 * the circuit breaker's "others failing since the last success" (breakers.ts othersFailing), read
 * from what every instance stores alike. The breaker's is one process's memory: a restarted
 * instance starts with none, so with instances restarting very often a write failing 504 with
 * the others while the readiness check passed reached its last attempt and was dead-lettered at
 * the bound (~2 h at the shipped settings).
 *
 * Another job of the system, not ended, that failed recently (its updated_at: each failure
 * reschedules it) and began failing (failing_since, v51) after the system's latest delivery: the
 * newest done job's end, read from v64's partial index. Two poisoned records failing 504 close
 * together while the system delivers other writes began failing before a delivery, so neither
 * holds the other. No store write more per delivery: a done job's end already sets its
 * updated_at; the index is kept only as a job becomes done.
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

const OTHERS_FAILING_TOGETHER = `SELECT 1 FROM outbox_jobs o
  WHERE o.system = ? AND o.status IN ('pending', 'in-flight') AND o.id <> ?
    AND o.failing_since IS NOT NULL AND o.updated_at >= ?
    AND o.failing_since > COALESCE(
      (SELECT MAX(d.updated_at) FROM outbox_jobs d WHERE d.system = ? AND d.status = 'done'), -1)
  LIMIT 1`;

export const SQLITE_OTHERS_FAILING_TOGETHER_SQL = OTHERS_FAILING_TOGETHER;

export const PG_OTHERS_FAILING_TOGETHER_SQL = ['$1', '$2', '$3', '$4'].reduce(
  (sql, param) => sql.replace('?', param),
  OTHERS_FAILING_TOGETHER,
);

/** The statement's arguments, in order, for a job `jobId` of `system` and failures since `failedSince`. */
export function othersFailingTogetherValues(system: string, jobId: string, failedSince: number): unknown[] {
  return [system, jobId, failedSince, system];
}
