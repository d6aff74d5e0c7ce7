import type { Migration } from './migrations.js';

/**
 * v22: the index of the per-resource delivery order (ClaimRequest.inOrder, Store.waitsBehind,
 * Store.waitingWriteOf; requeueJob's later-write test, which looks at jobs of every status, has
 * its own: v23 below). Those look, for a job, for another job of its system, flow and
 * resource (the payload's id) still waiting: without an index each candidate of a claim read
 * every waiting job of the system and decoded its payload (SQLite, 100k done jobs: 3 ms per claim
 * with 20 due, 65 ms with 1,000 facility writes waiting in backoff, 226 ms with 5,000, the event
 * loop blocked meanwhile). Partial, so it holds only the jobs not yet delivered. The indexed
 * expression is the queries' own, as each engine must see it to use the index.
 */
export const SQLITE_RESOURCE_ORDER_INDEX: Migration = {
  version: 22,
  name: 'outbox: waiting jobs by resource, for per-resource delivery order',
  sql: `CREATE INDEX outbox_jobs_resource_waiting ON outbox_jobs (system, flow, json_extract(payload, '$.id'))
  WHERE status IN ('pending', 'in-flight');`,
};

export const POSTGRES_RESOURCE_ORDER_INDEX: Migration = {
  version: 22,
  name: SQLITE_RESOURCE_ORDER_INDEX.name,
  sql: `CREATE INDEX outbox_jobs_resource_waiting ON outbox_jobs (system, flow, (payload->>'id'))
  WHERE status IN ('pending', 'in-flight');`,
};

/**
 * Store.waitingWriteOf: a job of this system and flow for one of these resources (payload id) not
 * yet delivered. The partial index's own WHERE and expression, so both engines read it there.
 */
export function sqliteWaitingWriteSql(count: number): string {
  const ids = Array.from({ length: count }, () => '?').join(', ');
  return `SELECT 1 FROM outbox_jobs WHERE system = ? AND flow = ? AND status IN ('pending', 'in-flight')
    AND json_extract(payload, '$.id') IN (${ids}) LIMIT 1`;
}

export const PG_WAITING_WRITE_SQL = `SELECT 1 FROM outbox_jobs WHERE system = $1 AND flow = $2
  AND status IN ('pending', 'in-flight') AND payload->>'id' = ANY($3::text[]) LIMIT 1`;

/**
 * v23: the index of requeueJob's later-write test (an operator's retry of a given-up write is
 * refused once a later write of the same resource was accepted: delivered now, it would put the
 * older version back). That test looks at jobs of every status, delivered ones too, so v22 (only
 * the waiting) cannot answer it, and it read the system's jobs whole, decoding each payload, on
 * every retry (100k jobs: SQLite 90-150 ms, PostgreSQL 45-90 ms a retry; an operator clearing
 * dead letters one by one pays it for each). Only jobs whose payload has an id are indexed (the
 * resources written by id: facilities), so a write of any other flow costs nothing more. The
 * indexed expression and the partial index's condition are the query's own (LATER_WRITE_*), as
 * each engine must see them to use the index.
 */
export const SQLITE_RESOURCE_WRITTEN_INDEX: Migration = {
  version: 23,
  name: 'outbox: jobs by resource and acceptance, for the stale-retry test',
  sql: `CREATE INDEX outbox_jobs_resource_written ON outbox_jobs (system, flow, json_extract(payload, '$.id'), created_at)
  WHERE json_extract(payload, '$.id') IS NOT NULL;`,
};

export const POSTGRES_RESOURCE_WRITTEN_INDEX: Migration = {
  version: 23,
  name: SQLITE_RESOURCE_WRITTEN_INDEX.name,
  sql: `CREATE INDEX outbox_jobs_resource_written ON outbox_jobs (system, flow, (payload->>'id'), created_at)
  WHERE payload->>'id' IS NOT NULL;`,
};

/**
 * requeueJob's condition for job row `outbox_jobs`: a later job (accepted after it) of the same
 * system, flow and resource exists. Read from outbox_jobs_resource_written (v23).
 */
export const SQLITE_LATER_WRITE_EXISTS = `EXISTS (
             SELECT 1 FROM outbox_jobs l
             WHERE l.system = outbox_jobs.system AND l.flow = outbox_jobs.flow
               AND json_extract(l.payload, '$.id') IS NOT NULL
               AND json_extract(l.payload, '$.id') = json_extract(outbox_jobs.payload, '$.id')
               AND l.created_at >= outbox_jobs.created_at
               AND (l.created_at > outbox_jobs.created_at OR l.id > outbox_jobs.id))`;

export const PG_LATER_WRITE_EXISTS = `EXISTS (
             SELECT 1 FROM outbox_jobs l
             WHERE l.system = outbox_jobs.system AND l.flow = outbox_jobs.flow
               AND l.payload->>'id' IS NOT NULL
               AND l.payload->>'id' = outbox_jobs.payload->>'id'
               AND l.created_at >= outbox_jobs.created_at
               AND (l.created_at, l.id) > (outbox_jobs.created_at, outbox_jobs.id))`;
