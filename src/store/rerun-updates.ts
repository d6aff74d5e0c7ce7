import type { Migration } from './migrations.js';
import { jobColumns } from './job-columns.js';
import type { RerunUpdate, TransactionUpdateEnd } from './types.js';

/**
 * v17: the OpenHIM transaction updates a job owes to requests other than the one that created it.
 * OpenHIM reruns a stored request as a NEW transaction (carrying parentid), and a client resending
 * through OpenHIM gets a new one too; the outbox answers such a request from the job its business
 * key names. Answered 202 (the job still unsettled), that transaction is Processing until the
 * mediator PUTs its final state, like the job's own (v16, transaction-updates.ts). One row per
 * (job, transaction): the answer that owes it writes it, in one statement that also checks the
 * job is not settled, and the sweep sends it once the job is.
 *
 * Bounded per job (RERUN_UPDATES_PER_JOB): a retry storm on one queued write must not grow the
 * table without limit. Past the bound the request is still answered 202 (its write is queued),
 * but nothing is owed to it: its transaction stays Processing, and the outbox logs a warning.
 * Debts and 'answered' rows are bounded apart, each kind by its own count: rows only listing a
 * settled job (many Bundle reruns of it) never use up a place a debt needs (after an operator
 * retries the job), nor the other way round; one left out past its bound is logged too.
 * state: 'owed', 'sent', 'refused' or 'abandoned' (as openhim_update), or 'answered' (ANSWERED:
 * nothing owed, the job only listed); due: while owed, when a sweep may send it.
 */
function rerunUpdatesTable(epochMs: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 17,
    name: 'outbox: OpenHIM transaction updates owed to reruns of a job',
    sql: `
CREATE TABLE openhim_rerun_updates (
  job_id TEXT NOT NULL,
  transaction_id TEXT NOT NULL,
  state TEXT NOT NULL,
  due ${epochMs},
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at ${epochMs} NOT NULL,
  PRIMARY KEY (job_id, transaction_id)
);
CREATE INDEX openhim_rerun_updates_owed ON openhim_rerun_updates (due) WHERE state = 'owed';
`,
  };
}

export const SQLITE_RERUN_UPDATES = rerunUpdatesTable('INTEGER');
export const POSTGRES_RERUN_UPDATES = rerunUpdatesTable('BIGINT');

/**
 * A rerun row that owes nothing: the job had settled when the transaction was answered from it.
 * Kept so that the transaction's update is built from every write its answer was made of.
 */
export const ANSWERED = 'answered';

/** Transactions a job may owe beyond its own: a bound on what a retry storm can store. */
export const RERUN_UPDATES_PER_JOB = 20;

/** What Store.oweRerunUpdate made of one request answered from an existing job. */
export type RerunDebt =
  /** recorded (or already recorded for this transaction): sent once the job settles */
  | 'owed'
  /** the job settled (done, rejected, or given up: dead) before the answer: answer that, nothing is owed */
  | 'settled'
  /** the job's own transaction: its debt is the job's (v16) */
  | 'own'
  /** the job already owes RERUN_UPDATES_PER_JOB other transactions: nothing recorded */
  | 'full'
  /**
   * the job settled, but is already listed in RERUN_UPDATES_PER_JOB other transactions: answer
   * its end as for 'settled', but this transaction's update (if its other writes owe one) leaves
   * it out
   */
  | 'unlisted'
  /** no such job (dropped by an operator) */
  | 'gone';

/**
 * Records the debt when the job is still to settle (pending, in-flight), is not this
 * transaction's own job, and is under the bound ($1 job, $2 transaction, $3 now, $4 bound). A job
 * given up (dead) has settled until an operator retries it: its duplicate is answered the give-up
 * at once (GivenUpError), owing nothing. A job settled already (done, rejected, dead) is recorded
 * 'answered': nothing is owed for
 * it, but it is one of the writes the transaction was answered from, so that transaction's update
 * lists it and its status counts it (a Bundle rerun whose other entry is still queued). The
 * bound counts only the rows of the kind inserted (debts, or 'answered' rows). Returns the state
 * recorded, nothing when no row was (see rerunDebtOf). Two concurrent answers may each see one
 * below the bound and both insert: the bound can be passed by the number of concurrent requests,
 * no more.
 */
export const OWE_RERUN_UPDATE_SQL = `INSERT INTO openhim_rerun_updates (job_id, transaction_id, state, due, attempts, created_at)
  SELECT j.id, $2, CASE WHEN j.status IN ('pending', 'in-flight') THEN 'owed' ELSE '${ANSWERED}' END, $3, 0, $3
  FROM outbox_jobs j
  WHERE j.id = $1
    AND (j.transaction_id IS NULL OR j.transaction_id <> $2)
    AND (SELECT COUNT(*) FROM openhim_rerun_updates r WHERE r.job_id = $1
      AND (r.state = '${ANSWERED}') = (j.status NOT IN ('pending', 'in-flight'))) < $4
  ON CONFLICT DO NOTHING RETURNING state`;

/** What the insert's returned row (if any) means: a debt, or a settled job only listed. */
export function insertedDebtOf(row: Record<string, unknown> | undefined): RerunDebt | undefined {
  if (!row) return undefined;
  return row.state === 'owed' ? 'owed' : 'settled';
}

/** Why nothing was inserted: the job's state, and what this transaction has recorded of it already. */
export const RERUN_DEBT_STATE_SQL = `SELECT j.status, j.transaction_id,
  (SELECT r.state FROM openhim_rerun_updates r WHERE r.job_id = $1 AND r.transaction_id = $2) AS recorded
  FROM outbox_jobs j WHERE j.id = $1`;

export function rerunDebtOf(row: Record<string, unknown> | undefined, transactionId: string): RerunDebt {
  if (!row) return 'gone';
  if (row.recorded === ANSWERED) return 'settled';
  if (row.recorded != null) return 'owed';
  if (row.transaction_id === transactionId) return 'own';
  // settled, nothing recorded for this transaction and not its own: the bound of 'answered' rows
  if (row.status === 'done' || row.status === 'rejected' || row.status === 'dead') return 'unlisted';
  return 'full';
}

/**
 * No job of transaction `tx` (an SQL expression) is still to settle (pending or in flight): neither
 * its own jobs nor those it was answered from (a rerun's, v17), whose ends its update carries too.
 */
export function siblingsSettled(tx: string): string {
  return `NOT EXISTS (SELECT 1 FROM outbox_jobs o
      WHERE o.transaction_id = ${tx} AND o.status IN ('pending', 'in-flight'))
    AND NOT EXISTS (SELECT 1 FROM openhim_rerun_updates s JOIN outbox_jobs o ON o.id = s.job_id
      WHERE s.transaction_id = ${tx} AND o.status IN ('pending', 'in-flight'))`;
}

/**
 * Whether the sweep may take a debt of transaction `tx` (an SQL expression): every job of it has
 * settled, or a request under its id was kept (v47). Then the send judges it (someRequestEnded):
 * a forged request's job left pending for days must not keep the sweep from the routed one's
 * update once its first send failed. A transaction not due yet is claimed anyway, once per claim
 * window (the claim moves its due time on; nothing is recorded while it waits). Read by each
 * table's primary key (v50's, then v47's, which an earlier release still running may write).
 */
export function sweepMayTake(tx: string): string {
  return `(EXISTS (SELECT 1 FROM openhim_request_rows q WHERE q.transaction_id = ${tx})
    OR EXISTS (SELECT 1 FROM openhim_transaction_requests q WHERE q.transaction_id = ${tx})
    OR (${siblingsSettled(tx)}))`;
}

/**
 * The settled jobs' rerun debts due at $1, oldest first, at most $2, once every job of the rerun's
 * transaction has settled (a rerun of a Bundle is one update, after its last job) or a request
 * under its id was kept (sweepMayTake): each as the job's row with the rerun's transaction id and
 * debt in the v16 columns, so the sweep sends it as a transaction's own.
 */
const DUE_RERUNS = `SELECT r.job_id, r.transaction_id FROM openhim_rerun_updates r JOIN outbox_jobs j ON j.id = r.job_id
  WHERE r.state = 'owed' AND r.due <= $1 AND j.status IN ('done', 'rejected', 'dead')
    AND ${sweepMayTake('r.transaction_id')}
  ORDER BY r.due LIMIT $2`;

/** The rerun's debt beside its job's columns (rerunAsJobRow). */
export const RERUN_DEBT = `r.transaction_id AS rerun_transaction_id, r.state AS rerun_state, r.due AS rerun_due,
  r.attempts AS rerun_attempts, r.error AS rerun_error`;
/** The claimed rerun debt as its job (j) reads, without the final calls only the update's build reads. */
const RERUN_AS_JOB = `${jobColumns('j')}, ${RERUN_DEBT}`;

/** The rerun's debt in the columns jobFromRow reads for the job's own. */
export function rerunAsJobRow(row: Record<string, unknown>): Record<string, unknown> {
  return {
    ...row,
    transaction_id: row.rerun_transaction_id,
    openhim_update: row.rerun_state,
    openhim_update_due: row.rerun_due,
    openhim_update_attempts: row.rerun_attempts,
    openhim_update_error: row.rerun_error,
  };
}

/** SQLite: the due debts, then each claimed (one process owns the file: nothing claims in between). */
export const SQLITE_DUE_RERUNS_SQL = DUE_RERUNS.replace(/\$\d+/g, '?');
export const SQLITE_CLAIM_RERUN_SQL = `UPDATE openhim_rerun_updates SET due = ? WHERE job_id = ? AND transaction_id = ?`;
export const SQLITE_RERUN_AS_JOB_SQL = `SELECT ${RERUN_AS_JOB} FROM openhim_rerun_updates r JOIN outbox_jobs j ON j.id = r.job_id
  WHERE r.job_id = ? AND r.transaction_id = ?`;

/** PostgreSQL: claimed in one statement, rows another instance is claiming skipped ($3 claimed until). */
export const PG_CLAIM_RERUNS_SQL = `WITH claimed AS (
  UPDATE openhim_rerun_updates SET due = $3
  WHERE (job_id, transaction_id) IN (${DUE_RERUNS} FOR UPDATE OF r SKIP LOCKED)
  RETURNING *)
  SELECT ${RERUN_AS_JOB} FROM claimed r JOIN outbox_jobs j ON j.id = r.job_id`;

/** One send's answer, applied only while still owed ($1 state, $2 due, $3 error, $4 job, $5 transaction). */
export const SETTLE_RERUN_SQL = `UPDATE openhim_rerun_updates SET state = $1, due = $2, error = $3, attempts = attempts + 1
  WHERE job_id = $4 AND transaction_id = $5 AND state = 'owed'`;

export function settleRerunValues(jobId: string, transactionId: string, end: TransactionUpdateEnd): unknown[] {
  return [
    end.state,
    end.state === 'owed' ? end.dueAt : null,
    end.state === 'sent' ? null : end.error,
    jobId,
    transactionId,
  ];
}

/** A dropped job's rerun debts go with it. */
export const DROP_RERUNS_SQL = 'DELETE FROM openhim_rerun_updates WHERE job_id = $1';

/**
 * SQLite's spelling of a `$n` statement that uses a parameter more than once: `?` in place, and
 * the values reordered to match (better-sqlite3 takes no numbered parameters).
 */
export function sqlitePositional(sql: string): { sql: string; bind: (values: unknown[]) => unknown[] } {
  const order = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]) - 1);
  return { sql: sql.replace(/\$\d+/g, '?'), bind: (values) => order.map((i) => values[i]) };
}

/** A job's rerun debts, oldest first ($1 job); the rows that only list it owe nothing and are left out. */
export const RERUN_UPDATES_OF_JOB_SQL = `SELECT transaction_id, state, due, attempts, error FROM openhim_rerun_updates
  WHERE job_id = $1 AND state <> '${ANSWERED}' ORDER BY created_at, transaction_id`;

export function rerunUpdateFromRow(r: Record<string, unknown>): RerunUpdate {
  return {
    transactionId: String(r.transaction_id),
    state: String(r.state) as RerunUpdate['state'],
    ...(r.due != null ? { dueAt: Number(r.due) } : {}),
    attempts: Number(r.attempts ?? 0),
    ...(r.error != null ? { lastError: String(r.error) } : {}),
  };
}
