/**
 * A statement's `LIMIT ?` spelled `LIMIT CAST(? AS INTEGER)`, so SQLite prepares it once (issue 18).
 *
 * SQLite (3.53 in better-sqlite3) reads a LIMIT that is a bare parameter while it plans, and marks
 * the statement to be compiled again whenever that parameter is bound anew; better-sqlite3 binds
 * every parameter at every run, so each run parsed and planned the statement from its text again
 * (sqlite3Reprepare inside sqlite3_step: 1.6 % of the mediator's main-thread CPU on OpenLMIS
 * orders, from the write ledger's notes read and the outbox worker's claim, perf on-CPU samples;
 * about half of such a query's own CPU). A cast is not a bare parameter: the plan no longer
 * hangs on the value, the rows are the same. OFFSET does not trigger it and is left alone.
 */
export function limitsPlannedOnce(sql: string): string {
  return sql.replace(/\bLIMIT\s+(\?\d*)/gi, 'LIMIT CAST($1 AS INTEGER)');
}
