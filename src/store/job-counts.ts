import type { Migration } from './migrations.js';
import { emptyCounts } from './rows.js';
import { JOB_STATUSES, type JobStatus } from './types.js';

/** How many jobs of a system are in a status (Store.countJobsBySystem). */
export interface JobCountBySystem {
  system: string;
  status: JobStatus;
  count: number;
}

/**
 * Jobs per system and status, for the console's table: the statuses but done (waiting, in flight,
 * dead, rejected), an index-only pass over the v29 partial index, a few entries (the queue, the
 * dead letters and the refused jobs kept). Done jobs are nearly every row (millions within the
 * retention window on a national deployment); counting them by system walked the whole
 * outbox_jobs_due index at every console refresh, SQLite's event loop blocked meanwhile. Done is
 * counted over all systems only (COUNT_BY_STATUS_SQL, as /metrics does).
 */
export const COUNT_BY_SYSTEM_SQL = `SELECT system, status, COUNT(*) AS n FROM outbox_jobs WHERE status <> 'done'
  GROUP BY system, status`;

/**
 * v29: COUNT_BY_SYSTEM_SQL's index, partial like v21's (only the jobs not done) and led by system,
 * so the per-system counts are read in its order (no sort) without the table. PostgreSQL builds it
 * CONCURRENTLY (pg-migrations.ts) and reads it index-only where the visibility map says the pages
 * are all visible, else the rows it names: the jobs not done either way.
 */
export const UNFINISHED_BY_SYSTEM_INDEX: Migration = {
  version: 29,
  name: 'outbox: jobs not done by system and status, for the console',
  sql: '',
  indexes: [{ name: 'outbox_jobs_unfinished_by_system', on: "outbox_jobs (system, status) WHERE status <> 'done'" }],
};

/**
 * Jobs by status for /metrics (Store.countJobsByStatus), read at every scrape: the statuses but
 * done counted by system from v29's partial index (they are few; summed here), and the whole
 * table's count, which SQLite answers from the b-tree's own count; done is the rest. Grouping
 * every row by status instead walked a whole index and sorted it (26 ms at 100k jobs on SQLite,
 * the event loop blocked). Grouped by system too, so SQLite reads the index in its order: by
 * status alone it sorted the rows in a temporary b-tree.
 */
export const COUNT_BY_STATUS_SQL = `SELECT system, status, COUNT(*) AS n FROM outbox_jobs WHERE status <> 'done'
  GROUP BY system, status
  UNION ALL SELECT NULL, 'all', COUNT(*) FROM outbox_jobs`;

export function countsByStatusOf(rows: Record<string, unknown>[]): Record<JobStatus, number> {
  const counts = emptyCounts();
  let all = 0;
  for (const r of rows) {
    if (r.status === 'all') all = Number(r.n);
    else counts[String(r.status) as JobStatus] += Number(r.n);
  }
  counts.done = all - JOB_STATUSES.filter((s) => s !== 'done').reduce((sum, s) => sum + counts[s], 0);
  return counts;
}

/** The oldest job not yet delivered (Store.oldestWaitingCreatedAt): the first entry of a partial index. */
export const OLDEST_WAITING_SQL =
  "SELECT MIN(created_at) AS t FROM outbox_jobs WHERE status IN ('pending', 'in-flight')";

/**
 * v21: the indexes of the counts and the oldest waiting job. Partial, so they hold only the jobs
 * not done (a queue's few), not the delivered ones that make up nearly all rows. v31 drops the
 * first: v29's index, led by system, serves its reads.
 */
export const WAITING_JOBS_INDEXES: Migration = {
  version: 21,
  name: 'outbox: jobs not done, counted and aged from indexes',
  sql: '',
  indexes: [
    { name: 'outbox_jobs_unfinished', on: "outbox_jobs (status) WHERE status <> 'done'" },
    { name: 'outbox_jobs_waiting', on: "outbox_jobs (created_at) WHERE status IN ('pending', 'in-flight')" },
  ],
};

/**
 * v31: v21's outbox_jobs_unfinished goes. v29's index holds the same rows (the jobs not done) led
 * by system, and answers every read v21's did: the counts by status (its status column, the few
 * rows it holds grouped), by system and status, and a listing of the dead or refused. One index
 * fewer is written at every insert and status change of a job (issue 18, outbox throughput).
 * PostgreSQL drops it CONCURRENTLY (pg-migrations.ts): instances still running keep writing.
 */
export const DROP_UNFINISHED_INDEX: Migration = {
  version: 31,
  name: 'outbox: drop v21 index of the jobs not done, v29 serves its reads',
  sql: '',
  dropIndexes: ['outbox_jobs_unfinished'],
};
