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

/** Where a prune run has got to in the v30 index of entry map rows: the last row examined. */
export interface EntriesCursor {
  recordedAt: number;
  transactionId: string;
  entry: number;
}

/**
 * One batch's counts, and the last job it examined: the next batch starts after it; likewise
 * the entry map rows examined (`entriesExamined`, fewer than the limit: the end) and the last.
 */
export type PruneResult = PruneCounts & { last?: PruneCursor; entriesExamined: number; entriesLast?: EntriesCursor };

export interface PruneBatch {
  /** Finished (entry maps: recorded) before this (epoch ms) and otherwise quiet: pruned. */
  before: number;
  /** Jobs examined, entry map rows examined, and job runs deleted, at most. */
  limit: number;
  after?: PruneCursor;
  entriesAfter?: EntriesCursor;
  /** When the batch runs (epoch ms; default the clock's now): the time an entry map row of unknown time is given. */
  now?: number;
}

/**
 * The next finished jobs that ended before $1, after the cursor ($2 updated_at, $3 id), at most
 * $4: a range of the v27 index, whatever those jobs are (most kept jobs are read once a run).
 */
const PRUNE_CANDIDATES_SQL = `SELECT id, updated_at FROM outbox_jobs
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
const PRUNABLE_SQL = (ids: string) => `SELECT j.id, j.transaction_id, j.status,
    EXISTS (SELECT 1 FROM resource_links l WHERE l.job_id = j.id) AS linked
  FROM outbox_jobs j
  WHERE j.id IN (${ids}) AND j.status IN ('done', 'rejected') AND j.updated_at < $1
    AND (j.openhim_update IS NULL OR j.openhim_update = 'sent')
    AND NOT (j.transaction_id IS NOT NULL AND ${transactionLive('j.transaction_id')})
    AND NOT EXISTS (SELECT 1 FROM openhim_rerun_updates r WHERE r.job_id = j.id
      AND (r.state IN ('owed', 'refused', 'abandoned') OR ${transactionLive('r.transaction_id')}))`;

/** A PRUNABLE_SQL row: the job goes whole (no link names it), or only its history (a done one linked). */
function pruneAction(row: Record<string, unknown>): 'job' | 'history' | 'none' {
  // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean
  if (!(row.linked === true || Number(row.linked) === 1)) return 'job';
  return row.status === 'done' ? 'history' : 'none';
}

/** A job's history, by job id (each table's key starts with it): of the jobs pruned, and of the done ones kept. */
const PRUNE_HISTORY_SQL = {
  attempts: (ids: string) => `DELETE FROM job_attempts WHERE job_id IN (${ids})`,
  steps: (ids: string) => `DELETE FROM step_journal WHERE job_id IN (${ids})`,
};

/**
 * The jobs PRUNABLE_SQL let go, deleted first and only if still no resource link names them, in
 * this statement: on PostgreSQL (READ COMMITTED) it reads the links committed by now, so a very
 * late resend answered from the job, whose transaction held the job row (FOR KEY SHARE, in
 * insertWrite) until it had linked it, keeps the job (PRUNABLE_SQL's FOR UPDATE waited for that
 * commit, but its EXISTS was read before). The ids returned are what goes; a done job that a
 * link now names keeps its row and loses its history only, as PRUNABLE_SQL's linked ones.
 */
const PRUNE_JOBS_SQL = (ids: string) => `DELETE FROM outbox_jobs
  WHERE id IN (${ids}) AND NOT EXISTS (SELECT 1 FROM resource_links l WHERE l.job_id = outbox_jobs.id)
  RETURNING id`;

/** The rest of a deleted job's rows, by job id. */
const PRUNE_JOB_ROWS_SQL = {
  // only a key still held by the job: a refused job's key may have moved to the write after it
  keys: (ids: string) => `DELETE FROM idempotency_keys WHERE job_id IN (${ids})`,
  reruns: (ids: string) => `DELETE FROM openhim_rerun_updates WHERE job_id IN (${ids})`,
};

/** Of the PRUNABLE_SQL rows, the jobs whose history goes: those deleted, and the done ones kept. */
function historyOf(prunable: Record<string, unknown>[], deleted: Set<unknown>): unknown[] {
  return prunable.filter((r) => deleted.has(r.id) || r.status === 'done').map((r) => r.id);
}

/**
 * The OpenHIM transactions of the reruns answered from the jobs (`ids`): read before their rows
 * go, for PRUNE_ENTRIES_SQL (with the jobs' own, which the candidates carry).
 */
const RERUN_TRANSACTIONS_OF_SQL = (ids: string) =>
  `SELECT DISTINCT transaction_id FROM openhim_rerun_updates WHERE job_id IN (${ids})`;

/** The jobs' own transactions (PRUNABLE_SQL rows) and their reruns' (RERUN_TRANSACTIONS_OF_SQL rows). */
function transactionsOf(jobs: Record<string, unknown>[], reruns: Record<string, unknown>[]): unknown[] {
  return [...new Set([...jobs, ...reruns].map((r) => r.transaction_id).filter((t) => t != null))];
}

/**
 * The v24 entry maps of the pruned jobs' transactions (TRANSACTIONS_OF_SQL), once no job of the transaction and no
 * rerun row naming it is left: nothing will build that transaction's update any more.
 */
const PRUNE_ENTRIES_SQL = (txs: string) => `DELETE FROM openhim_transaction_entries
  WHERE transaction_id IN (${txs})
    AND NOT EXISTS (SELECT 1 FROM outbox_jobs o WHERE o.transaction_id = openhim_transaction_entries.transaction_id)
    AND NOT EXISTS (SELECT 1 FROM openhim_rerun_updates r
      WHERE r.transaction_id = openhim_transaction_entries.transaction_id)`;

/**
 * The requests kept under the pruned jobs' transactions (v47, v50), once no job of the transaction and
 * no rerun row naming it is left: every one names jobs of its transaction, so none outlives them.
 */
const PRUNE_REQUESTS_SQL = (table: string) => (txs: string) => `DELETE FROM ${table}
  WHERE transaction_id IN (${txs})
    AND NOT EXISTS (SELECT 1 FROM outbox_jobs o WHERE o.transaction_id = ${table}.transaction_id)
    AND NOT EXISTS (SELECT 1 FROM openhim_rerun_updates r
      WHERE r.transaction_id = ${table}.transaction_id)`;

/** Both tables of requests: v47's (an earlier release's rows) and v50's, each request apart. */
const PRUNE_REQUEST_TABLES_SQL = ['openhim_transaction_requests', 'openhim_request_rows'].map(PRUNE_REQUESTS_SQL);

/**
 * The next entry map rows recorded before $1, after the cursor ($2 recorded_at, $3 transaction,
 * $4 entry), at most $5: a range of the v30 index. Paged like the jobs, so the maps kept (their
 * transaction's jobs are kept) are read once a run, not once a batch.
 */
const ENTRY_CANDIDATES_SQL = `SELECT recorded_at, transaction_id, entry FROM openhim_transaction_entries
  WHERE recorded_at < $1 AND recorded_at >= $2 AND recorded_at > 0
    AND NOT (recorded_at = $2 AND (transaction_id < $3 OR (transaction_id = $3 AND entry <= $4)))
  ORDER BY recorded_at, transaction_id, entry LIMIT $5`;

/**
 * Entry map rows of unknown time (recorded_at 0, the column's default), at most $2, given the
 * time $1 the prune first sees them: they are kept for the retention from then. Such rows are
 * those recorded before v30, and those an instance of an older release still running during an
 * upgrade records now, perhaps for a batch it is still answering: read as recorded long ago, its
 * map would go at once. A range of the v30 index, at its start.
 */
const STAMP_UNKNOWN_ENTRIES_SQL = `UPDATE openhim_transaction_entries SET recorded_at = $1
  WHERE (transaction_id, entry) IN (SELECT transaction_id, entry FROM openhim_transaction_entries
    WHERE recorded_at = 0 ORDER BY recorded_at, transaction_id, entry LIMIT $2)`;

/**
 * The whole maps of the candidate rows' transactions (`txs`) that nothing will read: every row
 * recorded before $1 (a batch records its entries as it goes: one still being answered stays),
 * none of unknown time (0: an older release recorded it since the batch stamped such rows),
 * and no job and no rerun row of the transaction left to build its update from (a map of a Bundle
 * of only reads, or of jobs dropped by an operator). The maps of jobs pruned go with them
 * (PRUNE_ENTRIES_SQL): such a map may come before its job in the index.
 */
const PRUNE_OLD_ENTRIES_SQL = (txs: string) => `DELETE FROM openhim_transaction_entries
  WHERE transaction_id IN (${txs})
    AND NOT EXISTS (SELECT 1 FROM openhim_transaction_entries n
      WHERE n.transaction_id = openhim_transaction_entries.transaction_id AND (n.recorded_at >= $1 OR n.recorded_at = 0))
    AND NOT EXISTS (SELECT 1 FROM outbox_jobs o WHERE o.transaction_id = openhim_transaction_entries.transaction_id)
    AND NOT EXISTS (SELECT 1 FROM openhim_rerun_updates r
      WHERE r.transaction_id = openhim_transaction_entries.transaction_id)`;

/** A row of ENTRY_CANDIDATES_SQL as the cursor the next batch starts after. */
function entriesCursorOf(row: Record<string, unknown> | undefined): { entriesLast?: EntriesCursor } {
  return row
    ? {
        entriesLast: {
          recordedAt: Number(row.recorded_at),
          transactionId: String(row.transaction_id),
          entry: Number(row.entry),
        },
      }
    : {};
}

/** ENTRY_CANDIDATES_SQL's arguments for a batch: after its cursor, or from the first row. */
function entryCandidateArgs(batch: PruneBatch): unknown[] {
  const after = batch.entriesAfter ?? { recordedAt: Number.MIN_SAFE_INTEGER, transactionId: '', entry: -1 };
  return [batch.before, after.recordedAt, after.transactionId, after.entry, batch.limit];
}

/**
 * Scheduled job runs that ended before $1, oldest first, at most $2; a job's latest run is kept
 * whatever its age (GET /admin/jobs shows when it last ran), and so is one still running.
 */
const PRUNE_JOB_RUNS_SQL = `DELETE FROM job_runs WHERE id IN (
  SELECT r.id FROM job_runs r WHERE r.started_at < $1 AND r.outcome <> 'running'
    AND EXISTS (SELECT 1 FROM job_runs n WHERE n.name = r.name AND n.started_at > r.started_at)
  ORDER BY r.id LIMIT $2)`;

export function emptyPruneCounts(): PruneCounts {
  return { examined: 0, jobs: 0, attempts: 0, steps: 0, keys: 0, reruns: 0, entries: 0, jobRuns: 0 };
}

/** One statement of a prune batch, in `$n` form: `rows` wants the rows back, `count` how many it changed. */
export interface PruneStatement {
  sql: string;
  args: unknown[];
  want: 'rows' | 'count';
}

/** A statement's answer: its rows, or the count of rows it changed. */
export type PruneAnswer = Record<string, unknown>[] | number;

/** What a prune batch spells differently on each engine. */
export interface PruneDialect {
  /** The subquery reading a list of ids (jobs or transactions) bound to parameter $n. */
  listOf(n: number): string;
  /** A list as that parameter's value. */
  bindList(values: unknown[]): unknown;
  /** Appended to PRUNABLE_SQL, locking the jobs it chooses. */
  lockPrunable: string;
}

/**
 * SQLite: one process owns the file and the batch runs synchronously in one write transaction,
 * so nothing changes a job between the test and the delete; no lock to take. A list is a JSON
 * array read by json_each.
 */
export const SQLITE_PRUNE: PruneDialect = {
  listOf: (n) => `SELECT value FROM json_each($${n})`,
  bindList: (values) => JSON.stringify(values),
  lockPrunable: '',
};

/**
 * PostgreSQL: the prunable jobs are locked as they are chosen (FOR UPDATE: an operator's requeue
 * of a refused one waits, or is waited for and then seen; a late resend linking one holds it FOR
 * KEY SHARE, and PRUNE_JOBS_SQL re-checks the links). A list is a text array.
 */
export const POSTGRES_PRUNE: PruneDialect = {
  listOf: (n) => `SELECT unnest($${n}::text[])`,
  bindList: (values) => values,
  lockPrunable: ' FOR UPDATE OF j',
};

type PruneSteps<T> = Generator<PruneStatement, T, PruneAnswer>;

function* rows(sql: string, args: unknown[]): PruneSteps<Record<string, unknown>[]> {
  return (yield { sql, args, want: 'rows' }) as Record<string, unknown>[];
}

function* count(sql: string, args: unknown[]): PruneSteps<number> {
  return (yield { sql, args, want: 'count' }) as number;
}

/**
 * One prune batch, the same on both engines: it yields each statement to run (in the batch's
 * transaction) and takes its answer. A generator, so SQLite runs it synchronously inside its write
 * transaction (runPruneSync) and PostgreSQL awaits each statement (runPrune).
 */
export function* pruneBatch(batch: PruneBatch, d: PruneDialect): PruneSteps<PruneResult> {
  const counts = emptyPruneCounts();
  const after = batch.after ?? { updatedAt: Number.MIN_SAFE_INTEGER, id: '' };
  const candidates = yield* rows(PRUNE_CANDIDATES_SQL, [batch.before, after.updatedAt, after.id, batch.limit]);
  counts.examined = candidates.length;
  const lastRow = candidates.at(-1);
  const prunable = candidates.length
    ? yield* rows(`${PRUNABLE_SQL(d.listOf(2))}${d.lockPrunable}`, [
        batch.before,
        d.bindList(candidates.map((r) => r.id)),
      ])
    : [];
  const jobs = prunable.filter((r) => pruneAction(r) === 'job');
  const gone = jobs.length
    ? (yield* rows(PRUNE_JOBS_SQL(d.listOf(1)), [d.bindList(jobs.map((r) => r.id))])).map((r) => r.id)
    : [];
  counts.jobs = gone.length;
  const history = historyOf(
    prunable.filter((r) => pruneAction(r) !== 'none'),
    new Set(gone),
  );
  if (history.length)
    for (const [table, sql] of Object.entries(PRUNE_HISTORY_SQL))
      counts[table as keyof typeof PRUNE_HISTORY_SQL] = yield* count(sql(d.listOf(1)), [d.bindList(history)]);
  if (gone.length) {
    const reruns = yield* rows(RERUN_TRANSACTIONS_OF_SQL(d.listOf(1)), [d.bindList(gone)]);
    const txs = transactionsOf(
      jobs.filter((r) => gone.includes(r.id)),
      reruns,
    );
    for (const [table, sql] of Object.entries(PRUNE_JOB_ROWS_SQL))
      counts[table as keyof typeof PRUNE_JOB_ROWS_SQL] = yield* count(sql(d.listOf(1)), [d.bindList(gone)]);
    if (txs.length) {
      counts.entries = yield* count(PRUNE_ENTRIES_SQL(d.listOf(1)), [d.bindList(txs)]);
      for (const sql of PRUNE_REQUEST_TABLES_SQL) yield* count(sql(d.listOf(1)), [d.bindList(txs)]);
    }
  }
  yield* count(STAMP_UNKNOWN_ENTRIES_SQL, [batch.now ?? Date.now(), batch.limit]);
  const entryRows = yield* rows(ENTRY_CANDIDATES_SQL, entryCandidateArgs(batch));
  if (entryRows.length)
    counts.entries += yield* count(PRUNE_OLD_ENTRIES_SQL(d.listOf(2)), [
      batch.before,
      d.bindList([...new Set(entryRows.map((r) => r.transaction_id))]),
    ]);
  counts.jobRuns = yield* count(PRUNE_JOB_RUNS_SQL, [batch.before, batch.limit]);
  return {
    ...counts,
    ...(lastRow ? { last: { updatedAt: Number(lastRow.updated_at), id: String(lastRow.id) } } : {}),
    entriesExamined: entryRows.length,
    ...entriesCursorOf(entryRows.at(-1)),
  };
}

/** Runs a batch's statements one after the other with `run`, synchronously (SQLite). */
export function runPruneSync<T>(steps: PruneSteps<T>, run: (s: PruneStatement) => PruneAnswer): T {
  for (let step = steps.next(); ;) {
    if (step.done) return step.value;
    step = steps.next(run(step.value));
  }
}

/** Runs a batch's statements one after the other with `run`, each awaited (PostgreSQL). */
export async function runPrune<T>(steps: PruneSteps<T>, run: (s: PruneStatement) => Promise<PruneAnswer>): Promise<T> {
  for (let step = steps.next(); ;) {
    if (step.done) return step.value;
    step = steps.next(await run(step.value));
  }
}
