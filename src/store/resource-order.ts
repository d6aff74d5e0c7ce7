import type { Migration } from './migrations.js';

/**
 * v22: the index of the per-resource delivery order (ClaimRequest.inOrder, Store.waitsBehind,
 * Store.waitingWriteOf; not requeueJob's later-write test, which looks at jobs of every status and
 * so reads the system's jobs whole). Those look, for a job, for another job of its system, flow and
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
