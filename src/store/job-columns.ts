/**
 * The columns of outbox_jobs a job is read with (jobFromRow) wherever its OpenHIM update is not
 * built: not openhim_final_calls (v46), the calls of its final attempt, up to 64 KiB a job. Read
 * with `SELECT *` they came back with every job list, idempotent replay, claim and getJob; only the
 * update's build reads them (TRANSACTION_JOBS_SQL). A column added to outbox_jobs is added here or
 * to NOT_READ (test/unit/store/job-columns.test.ts compares both with the migrated table).
 */
const COLUMNS = [
  'id',
  'flow',
  'system',
  'idempotency_key',
  'payload_hash',
  'payload',
  'status',
  'attempts',
  'next_attempt_at',
  'lease_owner',
  'lease_until',
  'result',
  'error',
  'last_error',
  'transaction_id',
  'created_at',
  'updated_at',
  'superseded_by',
  'openhim_update',
  'openhim_update_due',
  'openhim_update_attempts',
  'openhim_update_error',
  'requeues',
  'failing_since',
] as const;

/**
 * The columns a job's read leaves out: the final calls, and those only SQL compares (the order of a
 * resource's writes, v23-v26: order_key; resource_id on SQLite, accept_seq on PostgreSQL; a lease's
 * attempt end, v61: attempt_ends_at; when its last failure was its system's outage, v65: outage_failed_at).
 */
export const NOT_READ = [
  'openhim_final_calls',
  'order_key',
  'resource_id',
  'accept_seq',
  'attempt_ends_at',
  'outage_failed_at',
] as const;

/** The job's columns for a select list or RETURNING, each qualified by `alias` if given. */
export function jobColumns(alias?: string): string {
  return alias ? COLUMNS.map((c) => `${alias}.${c}`).join(', ') : COLUMNS.join(', ');
}

export const JOB_COLUMNS = jobColumns();
