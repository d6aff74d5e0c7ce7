import type { Migration } from './migrations.js';
import type { TransactionUpdateEnd } from './types.js';

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
CREATE INDEX outbox_jobs_openhim_owed ON outbox_jobs (openhim_update_due) WHERE openhim_update = 'owed';
`,
  };
}

export const SQLITE_TRANSACTION_UPDATES = transactionUpdateColumns('INTEGER');
export const POSTGRES_TRANSACTION_UPDATES = transactionUpdateColumns('BIGINT');

/** The settled jobs whose owed update is due, oldest debt first ($1 now, $2 limit). */
const DUE = `SELECT id FROM outbox_jobs
  WHERE openhim_update = 'owed' AND openhim_update_due <= $1 AND status IN ('done', 'rejected', 'dead')
  ORDER BY openhim_update_due LIMIT $2`;

/** SQLite: the due ids, then each claimed (one process owns the file: nothing claims in between). */
export const SQLITE_DUE_UPDATES_SQL = DUE.replace(/\$\d+/g, '?');
export const SQLITE_CLAIM_UPDATE_SQL = 'UPDATE outbox_jobs SET openhim_update_due = ? WHERE id = ? RETURNING *';

/** PostgreSQL: claimed in one statement; rows another instance is claiming are skipped ($3 claimed until). */
export const PG_CLAIM_UPDATES_SQL = `UPDATE outbox_jobs SET openhim_update_due = $3
  WHERE id IN (${DUE} FOR UPDATE SKIP LOCKED) RETURNING *`;

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
