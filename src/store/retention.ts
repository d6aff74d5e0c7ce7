import type { Migration } from './migrations.js';

/**
 * Retention of finished work (Store.pruneFinished, run by the outboxPrune job): without it the
 * outbox and every table kept per job (attempts, journal, idempotency keys, OpenHIM rerun rows,
 * the v24 entry maps) and the scheduled job runs grow for as long as the mediator runs.
 *
 * v27: the finished jobs by the time they ended (updated_at is the end for a job that no longer
 * changes), so a prune batch reads the next few old ones from an index instead of every job. Only
 * done and rejected jobs are in it: the waiting and dead-lettered ones are never pruned.
 * PostgreSQL builds it CONCURRENTLY (pg-migrations.ts): an upgrade over millions of jobs never
 * holds back the writes of instances still running.
 */
export const FINISHED_JOBS_INDEX: Migration = {
  version: 27,
  name: 'outbox: finished jobs by the time they ended, for the retention prune',
  sql: '',
  indexes: [{ name: 'outbox_jobs_finished', on: "outbox_jobs (updated_at, id) WHERE status IN ('done', 'rejected')" }],
};

/** What one prune batch deleted, by table. */
export interface PruneCounts {
  /** Finished jobs examined (the batch's window of the v27 index): fewer than asked means the end. */
  examined: number;
  jobs: number;
  attempts: number;
  steps: number;
  keys: number;
  reruns: number;
  entries: number;
  jobRuns: number;
}

/** Where a prune run has got to in the v27 index: the last job examined (keyset paging). */
export interface PruneCursor {
  updatedAt: number;
  id: string;
}

/** One batch's counts, and the last job it examined: the next batch starts after it. */
export type PruneResult = PruneCounts & { last?: PruneCursor };

export interface PruneBatch {
  /** Finished before this (epoch ms) and otherwise quiet: pruned. */
  before: number;
  /** Jobs examined, and job runs deleted, at most. */
  limit: number;
  after?: PruneCursor;
}

/**
 * The next finished jobs that ended before $1, after the cursor ($2 updated_at, $3 id), at most
 * $4: a range of the v27 index, whatever those jobs are (most kept jobs are read once a run).
 */
export const PRUNE_CANDIDATES_SQL = `SELECT id, updated_at FROM outbox_jobs
  WHERE status IN ('done', 'rejected') AND updated_at < $1
    AND updated_at >= $2 AND NOT (updated_at = $2 AND id <= $3)
  ORDER BY updated_at, id LIMIT $4`;

/**
 * A transaction ($tx, an SQL expression) whose OpenHIM update may still be built: one of its jobs
 * is waiting, dead-lettered (an operator's retry would owe the update again, built from every job
 * of it) or owes the update now.
 */
const transactionLive = (tx: string) => `EXISTS (SELECT 1 FROM outbox_jobs o WHERE o.transaction_id = ${tx}
      AND (o.status IN ('pending', 'in-flight', 'dead') OR o.openhim_update = 'owed'))`;

/**
 * Of the candidates, the jobs that are done with (job `j`): done or refused, ended before the
 * cutoff (checked again: the row may have changed since), owing no OpenHIM update and none given
 * up that an operator should see (refused, abandoned: their own or a rerun's), and no transaction
 * they belong to still live. `linked`: a resource link names the job. Such a job stays: a read of
 * that FHIR id serves it (a stock report reads as written, an order is revised from it), so it is
 * state as long as the link names it (a later write of the resource moves the link on); only its
 * history goes (attempts and, once done, its journal, read by nothing but its own delivery).
 */
export const PRUNABLE_SQL = (ids: string) => `SELECT j.id, j.transaction_id, j.status,
    EXISTS (SELECT 1 FROM resource_links l WHERE l.job_id = j.id) AS linked
  FROM outbox_jobs j
  WHERE j.id IN (${ids}) AND j.status IN ('done', 'rejected') AND j.updated_at < $1
    AND (j.openhim_update IS NULL OR j.openhim_update = 'sent')
    AND NOT (j.transaction_id IS NOT NULL AND ${transactionLive('j.transaction_id')})
    AND NOT EXISTS (SELECT 1 FROM openhim_rerun_updates r WHERE r.job_id = j.id
      AND (r.state IN ('owed', 'refused', 'abandoned') OR ${transactionLive('r.transaction_id')}))`;

/** A PRUNABLE_SQL row: the job goes whole (no link names it), or only its history (a done one linked). */
export function pruneAction(row: Record<string, unknown>): 'job' | 'history' | 'none' {
  // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean
  if (!(row.linked === true || Number(row.linked) === 1)) return 'job';
  return row.status === 'done' ? 'history' : 'none';
}

/** A job's history, by job id (each table's key starts with it): of the jobs pruned, and of the done ones kept. */
export const PRUNE_HISTORY_SQL = {
  attempts: (ids: string) => `DELETE FROM job_attempts WHERE job_id IN (${ids})`,
  steps: (ids: string) => `DELETE FROM step_journal WHERE job_id IN (${ids})`,
};

/** The rest of a pruned job's rows, by job id, the job last. */
export const PRUNE_JOB_ROWS_SQL = {
  // only a key still held by the job: a refused job's key may have moved to the write after it
  keys: (ids: string) => `DELETE FROM idempotency_keys WHERE job_id IN (${ids})`,
  reruns: (ids: string) => `DELETE FROM openhim_rerun_updates WHERE job_id IN (${ids})`,
  jobs: (ids: string) => `DELETE FROM outbox_jobs WHERE id IN (${ids})`,
};

/**
 * The OpenHIM transactions the jobs (`ids`, twice) belong to: their own, and those of the reruns
 * answered from them. Read before the jobs go, for PRUNE_ENTRIES_SQL.
 */
export const TRANSACTIONS_OF_SQL = (ids: string, again: string) => `SELECT transaction_id FROM outbox_jobs
  WHERE id IN (${ids}) AND transaction_id IS NOT NULL
  UNION SELECT transaction_id FROM openhim_rerun_updates WHERE job_id IN (${again})`;

/**
 * The v24 entry maps of the pruned jobs' transactions (TRANSACTIONS_OF_SQL), once no job of the transaction and no
 * rerun row naming it is left: nothing will build that transaction's update any more.
 */
export const PRUNE_ENTRIES_SQL = (txs: string) => `DELETE FROM openhim_transaction_entries
  WHERE transaction_id IN (${txs})
    AND NOT EXISTS (SELECT 1 FROM outbox_jobs o WHERE o.transaction_id = openhim_transaction_entries.transaction_id)
    AND NOT EXISTS (SELECT 1 FROM openhim_rerun_updates r
      WHERE r.transaction_id = openhim_transaction_entries.transaction_id)`;

/**
 * Scheduled job runs that ended before $1, oldest first, at most $2; a job's latest run is kept
 * whatever its age (GET /admin/jobs shows when it last ran), and so is one still running.
 */
export const PRUNE_JOB_RUNS_SQL = `DELETE FROM job_runs WHERE id IN (
  SELECT r.id FROM job_runs r WHERE r.started_at < $1 AND r.outcome <> 'running'
    AND EXISTS (SELECT 1 FROM job_runs n WHERE n.name = r.name AND n.started_at > r.started_at)
  ORDER BY r.id LIMIT $2)`;

export function emptyPruneCounts(): PruneCounts {
  return { examined: 0, jobs: 0, attempts: 0, steps: 0, keys: 0, reruns: 0, entries: 0, jobRuns: 0 };
}
