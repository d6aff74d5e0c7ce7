import { JOB_COLUMNS } from './job-columns.js';
import type { Migration } from './migrations.js';
import { ANSWERED, RERUN_DEBT, rerunAsJobRow, sweepMayTake } from './rerun-updates.js';
import type { TransactionUpdateCounts, TransactionUpdateEnd } from './types.js';

/**
 * v16: the OpenHIM transaction update a settled job owes, kept on the job's row. A write answered
 * 202 through OpenHIM leaves its transaction Processing until the mediator PUTs the final state
 * (src/openhim/transaction-updates.ts); held only in memory, that update was lost to a crash
 * between the job's end and OpenHIM's answer, or to an OpenHIM down longer than the retries. So
 * the job's end marks it owed in the end's own statement (no end without the debt), a sweep sends
 * what is owed, and OpenHIM's answer settles it: sent (2xx), refused (a 4xx that cannot succeed),
 * abandoned (still failing after the give-up age; core answers 500 for a transaction it does not
 * know, which no retry mends), or still owed with the time of the next try.
 *
 * openhim_update: NULL (nothing was ever owed), 'owed', 'sent', 'refused' or 'abandoned'.
 * openhim_update_due: while owed, when a sweep may send it (a sweep's claim moves it on, so two
 * sweeps, or a sweep and the ending process, do not send it at the same time).
 * The partial index holds only owed rows: the sweep's poll reads a few entries, not the table.
 */
function transactionUpdateColumns(epochMs: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 16,
    name: 'outbox: the OpenHIM transaction update a settled job owes',
    sql: `
ALTER TABLE outbox_jobs ADD COLUMN openhim_update TEXT;
ALTER TABLE outbox_jobs ADD COLUMN openhim_update_due ${epochMs};
ALTER TABLE outbox_jobs ADD COLUMN openhim_update_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_jobs ADD COLUMN openhim_update_error TEXT;
`,
    indexes: [
      { name: 'outbox_jobs_openhim_owed', on: "outbox_jobs (openhim_update_due) WHERE openhim_update = 'owed'" },
    ],
  };
}

export const SQLITE_TRANSACTION_UPDATES = transactionUpdateColumns('INTEGER');
export const POSTGRES_TRANSACTION_UPDATES = transactionUpdateColumns('BIGINT');

/**
 * v18: the jobs of one OpenHIM transaction, found by its id. A FHIR transaction or batch Bundle
 * (and a write fanned out to secondary systems) is one OpenHIM transaction and several jobs: its
 * update is sent once every one of them has settled, built from all of them
 * (src/openhim/transaction-updates.ts), where one PUT per job would each overwrite the status.
 * Partial: only jobs routed through OpenHIM carry an id, the rest cost the index nothing.
 */
export const TRANSACTION_JOBS_INDEX: Migration = {
  version: 18,
  name: 'outbox: jobs by OpenHIM transaction',
  sql: '',
  indexes: [{ name: 'outbox_jobs_transaction', on: 'outbox_jobs (transaction_id) WHERE transaction_id IS NOT NULL' }],
};

/**
 * v19: the updates not sent, counted from indexes (UPDATE_COUNTS_SQL, read at every /metrics
 * scrape and console outbox page). Only owed jobs were indexed, so each scrape read every job row
 * for the refused and abandoned ones (sent debts and jobs never routed through OpenHIM are nearly
 * all rows). Partial, so they hold the few unsent rows; the job index also carries what the count
 * reads (status, end), so SQLite answers from it alone.
 */
export const UNSENT_UPDATES_INDEXES: Migration = {
  version: 19,
  name: 'outbox: OpenHIM updates not sent, counted from indexes',
  sql: '',
  indexes: [
    {
      name: 'outbox_jobs_openhim_unsent',
      on: "outbox_jobs (openhim_update, status, updated_at) WHERE openhim_update IN ('owed', 'refused', 'abandoned')",
    },
    {
      name: 'openhim_rerun_updates_unsent',
      on: "openhim_rerun_updates (state, job_id) WHERE state IN ('owed', 'refused', 'abandoned')",
    },
  ],
};

/**
 * v20: a transaction's rerun debts, found by its id: a rerun of a Bundle (a new transaction over
 * jobs of the first run) is one update once all of them settle, like the first run's (v18), so the
 * claims and the send look them up by transaction.
 */
export const RERUN_TRANSACTION_INDEX: Migration = {
  version: 20,
  name: 'outbox: OpenHIM rerun debts by transaction',
  sql: '',
  indexes: [{ name: 'openhim_rerun_updates_transaction', on: 'openhim_rerun_updates (transaction_id)' }],
};

/**
 * The settled jobs whose owed update is due, oldest debt first ($1 now, $2 limit): once every job
 * of the same transaction has settled too (the last one's end owes the update as well), or a
 * request under its id was kept (v47; sweepMayTake), the send judging whether it is due.
 */
const DUE = `SELECT j.id FROM outbox_jobs j
  WHERE j.openhim_update = 'owed' AND j.openhim_update_due <= $1 AND j.status IN ('done', 'rejected', 'dead')
    AND ${sweepMayTake('j.transaction_id')}
  ORDER BY j.openhim_update_due LIMIT $2`;

/**
 * Every job of one OpenHIM transaction, in the order they were accepted ($1 transaction id): its
 * own, and those it was answered from (a rerun of a Bundle, v17), each of those with the rerun's
 * debt in place of the job's own (transactionJobRow). All columns (j.*): the update is built from
 * these rows, with the final calls (v46) no other read of a job carries (job-columns.ts).
 */
export const TRANSACTION_JOBS_SQL = `SELECT j.*, NULL AS rerun_transaction_id, NULL AS rerun_state, NULL AS rerun_due,
    NULL AS rerun_attempts, NULL AS rerun_error
  FROM outbox_jobs j WHERE j.transaction_id = $1
  UNION ALL
  SELECT j.*, ${RERUN_DEBT} FROM openhim_rerun_updates r JOIN outbox_jobs j ON j.id = r.job_id WHERE r.transaction_id = $1
  ORDER BY created_at, id`;

/**
 * A row of TRANSACTION_JOBS_SQL as jobFromRow reads it: a rerun's debt in the job's own columns; a
 * job the rerun was answered from once settled owes it nothing (no transactionUpdate).
 */
export function transactionJobRow(row: Record<string, unknown>): Record<string, unknown> {
  if (row.rerun_transaction_id == null) return row;
  const asJob = rerunAsJobRow(row);
  return row.rerun_state === ANSWERED ? { ...asJob, openhim_update: null, openhim_update_due: null } : asJob;
}

/**
 * One send's answer for a whole transaction, applied to its debts still owed that the sent update
 * was built from ($5: the latest end it read): a job that ended again since (an operator's retry)
 * keeps its debt, and the next update carries its new end. The jobs' own debts, then (same
 * values) the debts of the jobs it was answered from.
 */
export const SETTLE_TRANSACTION_SQL = `UPDATE outbox_jobs SET openhim_update = $1, openhim_update_due = $2,
  openhim_update_error = $3, openhim_update_attempts = openhim_update_attempts + 1
  WHERE transaction_id = $4 AND openhim_update = 'owed' AND updated_at <= $5`;
export const SETTLE_TRANSACTION_RERUNS_SQL = `UPDATE openhim_rerun_updates SET state = $1, due = $2, error = $3,
  attempts = attempts + 1
  WHERE transaction_id = $4 AND state = 'owed' AND job_id IN (SELECT id FROM outbox_jobs WHERE updated_at <= $5)`;
/** PostgreSQL: both in one statement, the number of debts settled as n. */
export const PG_SETTLE_TRANSACTION_SQL = `WITH own AS (${SETTLE_TRANSACTION_SQL} RETURNING 1),
  reruns AS (${SETTLE_TRANSACTION_RERUNS_SQL} RETURNING 1)
  SELECT (SELECT COUNT(*) FROM own) + (SELECT COUNT(*) FROM reruns) AS n`;

export function settleTransactionValues(transactionId: string, end: TransactionUpdateEnd, readUpTo: number): unknown[] {
  return [
    end.state,
    end.state === 'owed' ? end.dueAt : null,
    end.state === 'sent' ? null : end.error,
    transactionId,
    readUpTo,
  ];
}

/**
 * A job whose OpenHIM update is not sent. SQLite's index of them (outbox_jobs_openhim_not_sent,
 * v43) is partial on these words, which a query must repeat to read it. Not `IN` a list of three:
 * SQLite evaluates such a list by building a temporary index of it, at every write of a job that
 * tests the condition (an end, a claim: twice per statement; issue 18). PostgreSQL reads its v19
 * index (partial on the `IN` list) for it too.
 */
export const UNSENT_JOB_UPDATE =
  "(openhim_update = 'owed' OR openhim_update = 'refused' OR openhim_update = 'abandoned')";

/**
 * What is owed and what was given up, for /metrics and the console: the jobs' own debts and
 * reruns' (v17) by state, and the end of the oldest settled job still owing one. Sent ones are
 * not counted (they are most rows, and nothing is left to do about them).
 */
export const UPDATE_COUNTS_SQL = `SELECT openhim_update AS state, COUNT(*) AS n,
    MIN(CASE WHEN status IN ('done', 'rejected', 'dead') THEN updated_at END) AS oldest
  FROM outbox_jobs WHERE ${UNSENT_JOB_UPDATE} GROUP BY openhim_update
  UNION ALL
  SELECT r.state, COUNT(*), MIN(CASE WHEN j.status IN ('done', 'rejected', 'dead') THEN j.updated_at END)
  FROM openhim_rerun_updates r JOIN outbox_jobs j ON j.id = r.job_id
  WHERE r.state IN ('owed', 'refused', 'abandoned') GROUP BY r.state`;

export function updateCountsOf(rows: Record<string, unknown>[]): TransactionUpdateCounts {
  const counts: TransactionUpdateCounts = { owed: 0, refused: 0, abandoned: 0 };
  for (const r of rows) {
    const state = String(r.state) as 'owed' | 'refused' | 'abandoned';
    counts[state] += Number(r.n);
    if (state === 'owed' && r.oldest != null) {
      const at = Number(r.oldest);
      counts.oldestOwedEndedAt = Math.min(counts.oldestOwedEndedAt ?? at, at);
    }
  }
  return counts;
}

/** SQLite: the due ids, then each claimed (one process owns the file: nothing claims in between). */
export const SQLITE_DUE_UPDATES_SQL = DUE.replace(/\$\d+/g, '?');
export const SQLITE_CLAIM_UPDATE_SQL = `UPDATE outbox_jobs SET openhim_update_due = ? WHERE id = ? RETURNING ${JOB_COLUMNS}`;

/** PostgreSQL: claimed in one statement; rows another instance is claiming are skipped ($3 claimed until). */
export const PG_CLAIM_UPDATES_SQL = `UPDATE outbox_jobs SET openhim_update_due = $3
  WHERE id IN (${DUE} FOR UPDATE OF j SKIP LOCKED) RETURNING ${JOB_COLUMNS}`;

/**
 * Let go of the final calls (v46) of the jobs no debt of which is owed any more, their own and
 * their reruns' (a dead letter is never pruned: its calls would stay for good). Run after a send's
 * answer settled a debt, in a statement of its own: on PostgreSQL a statement's CTEs share one
 * snapshot, so one settling the debts could not see them settled. A crash between the two only
 * keeps the calls longer. Its job ($1), or the jobs a transaction's update settled ($2).
 */
export const RELEASE_FINAL_CALLS_SQL = `UPDATE outbox_jobs SET openhim_final_calls = NULL
  WHERE (id = $1 OR transaction_id = $2 OR id IN (SELECT job_id FROM openhim_rerun_updates WHERE transaction_id = $2))
    AND openhim_final_calls IS NOT NULL AND openhim_update <> 'owed'
    AND NOT EXISTS (SELECT 1 FROM openhim_rerun_updates r WHERE r.job_id = outbox_jobs.id AND r.state = 'owed')`;

/** RELEASE_FINAL_CALLS_SQL's values: after job `jobId`'s debt settled, or transaction `transactionId`'s. */
export function releaseFinalCallsValues(of: { jobId?: string; transactionId?: string }): unknown[] {
  return [of.jobId ?? null, of.transactionId ?? null];
}

/**
 * One send's answer, applied only while the update is still owed: a late answer to a send that
 * another sweep repeated cannot bring a sent update back.
 */
export const SETTLE_UPDATE_SQL = `UPDATE outbox_jobs SET openhim_update = $1, openhim_update_due = $2,
  openhim_update_error = $3, openhim_update_attempts = openhim_update_attempts + 1
  WHERE id = $4 AND openhim_update = 'owed'`;

export function settleUpdateValues(id: string, end: TransactionUpdateEnd): unknown[] {
  return [end.state, end.state === 'owed' ? end.dueAt : null, end.state === 'sent' ? null : end.error, id];
}
