import type { Migration } from './migrations.js';

/**
 * The calls of the attempt that ended a job owing its OpenHIM transaction an update (a write
 * answered 202 through OpenHIM): the update shows them to OpenHIM as orchestrations. They were
 * kept only in this process's memory, so an update sent after a restart, or by another PostgreSQL
 * instance's sweep, carried none. They are now written with the job's end, in the statement that
 * records the update's debt (Store.finishJob's outcome.openhimFinalCalls), so the calls and the
 * debt commit together: orchestrations already masked and cut as the envelope cuts them, capped
 * per job (src/openhim/stored-final-calls.ts). NULL for an end that owes no update, and for jobs
 * ended before this migration (their update falls back on this process's memory, as before).
 * Kept while the job is (retention prunes it): an OpenHIM rerun of the transaction, owed an update
 * of its own long after the first was sent, shows the same calls.
 */
export const OPENHIM_FINAL_CALLS_VERSION = 46;

function openhimFinalCalls(json: string): Migration {
  return {
    version: OPENHIM_FINAL_CALLS_VERSION,
    name: "outbox_jobs: the calls of a job's final attempt, for its OpenHIM transaction update (openhim_final_calls)",
    // nullable, no default: neither engine rewrites the table
    sql: `ALTER TABLE outbox_jobs ADD COLUMN openhim_final_calls ${json};`,
  };
}

export const SQLITE_OPENHIM_FINAL_CALLS = openhimFinalCalls('TEXT');
export const POSTGRES_OPENHIM_FINAL_CALLS = openhimFinalCalls('JSONB');
