import type { IndexBuild, Migration } from './migrations.js';
import { UNSENT_JOB_UPDATE } from './transaction-updates.js';

/**
 * v22: the index of the per-resource delivery order (ClaimRequest.inOrder, Store.waitsBehind: since
 * v25 their lookup by payload id, beside v25's by order key; requeueJob's later-write test, which
 * looks at jobs of every status, has its own: v23 and v26 below). Those look, for a job, for
 * another job of its system, flow and resource (the payload's id) still waiting: without an index each candidate of a claim read
 * every waiting job of the system and decoded its payload (SQLite, 100k done jobs: 3 ms per claim
 * with 20 due, 65 ms with 1,000 facility writes waiting in backoff, 226 ms with 5,000, the event
 * loop blocked meanwhile). Partial, so it holds only the jobs not yet delivered. The indexed
 * expression is the queries' own, as each engine must see it to use the index.
 */
export const SQLITE_RESOURCE_ORDER_INDEX: Migration = {
  version: 22,
  name: 'outbox: waiting jobs by resource, for per-resource delivery order',
  sql: '',
  indexes: [
    {
      name: 'outbox_jobs_resource_waiting',
      on: "outbox_jobs (system, flow, json_extract(payload, '$.id')) WHERE status IN ('pending', 'in-flight')",
    },
  ],
};

export const POSTGRES_RESOURCE_ORDER_INDEX: Migration = {
  version: 22,
  name: SQLITE_RESOURCE_ORDER_INDEX.name,
  sql: '',
  indexes: [
    {
      name: 'outbox_jobs_resource_waiting',
      on: "outbox_jobs (system, flow, (payload->>'id')) WHERE status IN ('pending', 'in-flight')",
    },
  ],
};

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
  sql: '',
  indexes: [
    {
      name: 'outbox_jobs_resource_written',
      on: "outbox_jobs (system, flow, json_extract(payload, '$.id'), created_at) WHERE json_extract(payload, '$.id') IS NOT NULL",
    },
  ],
};

export const POSTGRES_RESOURCE_WRITTEN_INDEX: Migration = {
  version: 23,
  name: SQLITE_RESOURCE_WRITTEN_INDEX.name,
  sql: '',
  indexes: [
    {
      name: 'outbox_jobs_resource_written',
      on: "outbox_jobs (system, flow, (payload->>'id'), created_at) WHERE payload->>'id' IS NOT NULL",
    },
  ],
};

/**
 * v25: the order key and the acceptance order of a job (ClaimRequest.inOrder).
 *
 * order_key: the record a write is for in its system (NewJob.orderKey: a facility's OpenLMIS
 * code, its DHIS2 UID, else the FHIR id), set at accept. The order was per payload id, so a POST of
 * a Location by its code and a PUT of it by its OpenLMIS id were two resources: the later one could
 * reach OpenLMIS first, and a registry change could not see a client's DHIS2 job whose FHIR id it
 * did not know. Jobs not yet done get their payload id, the key they were ordered by until now.
 *
 * Acceptance order: created_at is the accepting instance's clock, so two instances whose clocks
 * differ by more than the gap between two writes of a record put the later one first. The
 * database numbers them instead: PostgreSQL a sequence (accept_seq, one for all instances; the jobs
 * not yet done numbered in their created_at order), SQLite the rowid, which an insert makes larger
 * than every row's in the table (one process owns the file; the mediator never runs VACUUM, which
 * may renumber rowids).
 *
 * The index: partial on the waiting jobs that have a key, so it holds only the writes of flows
 * delivered in order (facilities) not yet delivered; other flows' jobs carry none and cost nothing.
 */
const ORDER_KEY_INDEX: IndexBuild = {
  name: 'outbox_jobs_order_waiting',
  on: "outbox_jobs (system, flow, order_key) WHERE status IN ('pending', 'in-flight') AND order_key IS NOT NULL",
};

export const SQLITE_ORDER_KEYS: Migration = {
  version: 25,
  name: 'outbox: jobs ordered by the record they write, in the order the database took them',
  sql: `ALTER TABLE outbox_jobs ADD COLUMN order_key TEXT;
UPDATE outbox_jobs SET order_key = json_extract(payload, '$.id') WHERE status <> 'done';`,
  indexes: [ORDER_KEY_INDEX],
};

export const POSTGRES_ORDER_KEYS: Migration = {
  version: 25,
  name: SQLITE_ORDER_KEYS.name,
  sql: `ALTER TABLE outbox_jobs ADD COLUMN order_key TEXT, ADD COLUMN accept_seq BIGINT;
CREATE SEQUENCE outbox_jobs_accept_seq OWNED BY outbox_jobs.accept_seq;
UPDATE outbox_jobs j SET order_key = j.payload->>'id', accept_seq = o.n
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM outbox_jobs WHERE status <> 'done') o
  WHERE j.id = o.id;
SELECT setval('outbox_jobs_accept_seq', COALESCE((SELECT max(accept_seq) FROM outbox_jobs), 0) + 1, false);
ALTER TABLE outbox_jobs ALTER COLUMN accept_seq SET DEFAULT nextval('outbox_jobs_accept_seq');`,
  indexes: [ORDER_KEY_INDEX],
};

/**
 * A job of the same flow, system and record as the candidate `j`, accepted before it and still
 * waiting to be delivered: `j` is not claimed before it (per-record FIFO). The same record is the
 * same order key, or the same payload id: a job accepted before v25 is keyed by its payload id,
 * and a write of its facility keyed by the record after the upgrade still waits for it. Two
 * lookups, each in its own index (v25's; v22's by payload id), as one OR of both kept SQLite to
 * the (system, flow) prefix, every waiting job of the system. SQLite's rowid is in each entry.
 */
const earlierWaiting = (payloadId: (alias: string) => string, earlier: (e: string, j: string) => string) =>
  `SELECT 1 FROM outbox_jobs e
  WHERE e.system = j.system AND e.flow = j.flow AND e.order_key = j.order_key
    AND e.status IN ('pending', 'in-flight') AND ${earlier('e', 'j')}
  UNION ALL SELECT 1 FROM outbox_jobs e
  WHERE e.system = j.system AND e.flow = j.flow AND ${payloadId('e')} = ${payloadId('j')}
    AND e.status IN ('pending', 'in-flight') AND ${earlier('e', 'j')}`;

export const SQLITE_EARLIER_WAITING_SQL = earlierWaiting(
  (a) => `${a}.resource_id`,
  (e, j) => `${e}.rowid < ${j}.rowid`,
);

export const PG_EARLIER_WAITING_SQL = earlierWaiting(
  (a) => `${a}.payload->>'id'`,
  (e, j) => `${e}.accept_seq < ${j}.accept_seq`,
);

/**
 * Store.waitingWriteOf: a job of this system and flow for one of these records (order keys) not
 * yet delivered. The partial index's own WHERE, so both engines read it there.
 */
export function sqliteWaitingWriteSql(count: number): string {
  const keys = Array.from({ length: count }, () => '?').join(', ');
  return `SELECT 1 FROM outbox_jobs WHERE system = ? AND flow = ? AND status IN ('pending', 'in-flight')
    AND order_key IN (${keys}) LIMIT 1`;
}

export const PG_WAITING_WRITE_SQL = `SELECT 1 FROM outbox_jobs WHERE system = $1 AND flow = $2
  AND status IN ('pending', 'in-flight') AND order_key = ANY($3::text[]) LIMIT 1`;

/**
 * v26: the index of requeueJob's later-write test by record (LATER_WRITE_* below) for the jobs no
 * longer waiting (delivered or given up), by system, flow and order key; PostgreSQL's with its
 * acceptance number, SQLite's rowid is in each entry. The waiting ones are in v25's index. Partial
 * on the key, so only the writes of flows delivered in order (facilities) pay for it, and on the
 * status, so it holds none of the claim's candidates: v25's index stays the claim's (with both
 * open to it, SQLite took the newer and read a record's delivered jobs too).
 */
export const SQLITE_ORDER_WRITTEN_INDEX: Migration = {
  version: 26,
  name: 'outbox: jobs ended by the record they wrote, for the stale-retry test',
  sql: '',
  indexes: [
    {
      name: 'outbox_jobs_order_written',
      on: "outbox_jobs (system, flow, order_key) WHERE status NOT IN ('pending', 'in-flight') AND order_key IS NOT NULL",
    },
  ],
};

export const POSTGRES_ORDER_WRITTEN_INDEX: Migration = {
  version: 26,
  name: SQLITE_ORDER_WRITTEN_INDEX.name,
  sql: '',
  indexes: [
    {
      name: 'outbox_jobs_order_written',
      on: "outbox_jobs (system, flow, order_key, accept_seq) WHERE status NOT IN ('pending', 'in-flight') AND order_key IS NOT NULL",
    },
  ],
};

/**
 * requeueJob's condition for job row `outbox_jobs` (a given-up write): a later write of the same
 * record exists, accepted after it. The same record and order as the claim's (EARLIER_WAITING):
 * same system and flow, and the same order key (a POST of a Location by its code and a PUT of it by
 * its OpenLMIS id are one record) or the same payload id (jobs without a key, and those accepted
 * before v25); later in the database's order, not by created_at, the accepting instance's clock.
 * Three lookups, each in an index: by key, the waiting jobs in outbox_jobs_order_waiting (v25) and
 * the others in outbox_jobs_order_written (v26); by payload id in outbox_jobs_resource_written
 * (v23). PostgreSQL: jobs done before v25 have no accept_seq (v25 numbered only those not done) and
 * no key; by payload id, created_at is all there is for them, the rule they had.
 */
const laterWrite = (payloadId: (alias: string) => string, later: string, laterById: string) => {
  const byKey = (status: string) => `EXISTS (
             SELECT 1 FROM outbox_jobs l
             WHERE l.system = outbox_jobs.system AND l.flow = outbox_jobs.flow
               AND l.order_key IS NOT NULL AND l.order_key = outbox_jobs.order_key
               AND l.status ${status} ('pending', 'in-flight') AND ${later})`;
  return `(${byKey('IN')}
           OR ${byKey('NOT IN')}
           OR EXISTS (
             SELECT 1 FROM outbox_jobs l
             WHERE l.system = outbox_jobs.system AND l.flow = outbox_jobs.flow
               AND ${payloadId('l')} IS NOT NULL AND ${payloadId('l')} = ${payloadId('outbox_jobs')}
               AND ${laterById}))`;
};

export const SQLITE_LATER_WRITE_EXISTS = laterWrite(
  (a) => `${a}.resource_id`,
  'l.rowid > outbox_jobs.rowid',
  'l.rowid > outbox_jobs.rowid',
);

export const PG_LATER_WRITE_EXISTS = laterWrite(
  (a) => `${a}.payload->>'id'`,
  'l.accept_seq > outbox_jobs.accept_seq',
  `(l.accept_seq > outbox_jobs.accept_seq
                 OR (l.accept_seq IS NULL AND (l.created_at, l.id) > (outbox_jobs.created_at, outbox_jobs.id)))`,
);

/**
 * v28: the claim's lookups (EARLIER_WAITING: by order key, by payload id) as ranges of an index on
 * PostgreSQL, as on SQLite. v25's and v22's indexes hold (system, flow, key or payload id): SQLite's
 * entries carry the rowid, its acceptance order, so `e.rowid < j.rowid` bounds the search;
 * PostgreSQL's carry no accept_seq, so every waiting job of the record was read and filtered by it,
 * for each candidate of a claim (a facility with many writes waiting in backoff: all of them, again
 * and again). These end with accept_seq: the search reads only the jobs accepted before the
 * candidate. Both arms, and each partial on its own arm's record being there (a key, a payload id):
 * with the statistics of a new table the planner took an index of either for the other arm too,
 * searching the system's and flow's waiting jobs and filtering them by key. Built CONCURRENTLY
 * (pg-migrations.ts). v22's and v25's stay: a DROP INDEX in the migration's transaction would hold
 * every write of the table back for a moment (the runner builds concurrently, it does not drop
 * so), and as partial indexes of the waiting jobs they cost little. SQLite needs nothing: its v28
 * keeps the engines at one version.
 */
const ORDER_SEQ_NAME = 'outbox: waiting jobs by record and acceptance number, for the claim';

export const SQLITE_ORDER_SEQ: Migration = { version: 28, name: ORDER_SEQ_NAME, sql: '' };

export const POSTGRES_ORDER_SEQ: Migration = {
  version: 28,
  name: ORDER_SEQ_NAME,
  sql: '',
  indexes: [
    {
      name: 'outbox_jobs_order_waiting_seq',
      on: "outbox_jobs (system, flow, order_key, accept_seq) WHERE status IN ('pending', 'in-flight') AND order_key IS NOT NULL",
    },
    {
      name: 'outbox_jobs_resource_waiting_seq',
      on: "outbox_jobs (system, flow, (payload->>'id'), accept_seq) WHERE status IN ('pending', 'in-flight') AND payload->>'id' IS NOT NULL",
    },
  ],
};

/**
 * v43 (SQLite): the payload's id in a column of its own, resource_id, written with the job, and
 * v22's and v23's indexes on it instead of on `json_extract(payload, '$.id')`. Each index write of
 * a job evaluated that expression, parsing the whole payload: about four times per accepted write
 * (two indexes and a partial index's condition at the insert, the waiting index again at the end),
 * ~100k instructions of a write's ~1M (issue 18, callgrind). No type, so the column holds what
 * json_extract gives (text, a number, NULL), as the indexes held. And v19's index of unsent
 * OpenHIM updates is partial on an OR of three words instead of an `IN` list (UNSENT_JOB_UPDATE),
 * which SQLite built a temporary index of twice at every end of a job. PostgreSQL's expression index
 * reads a parsed jsonb: its v43 changes nothing and keeps the engines at one version.
 */
const RESOURCE_ID_NAME = 'outbox: the payload id in a column, so an index write parses no JSON';

export const SQLITE_RESOURCE_ID: Migration = {
  version: 43,
  name: RESOURCE_ID_NAME,
  sql: `ALTER TABLE outbox_jobs ADD COLUMN resource_id;
UPDATE outbox_jobs SET resource_id = json_extract(payload, '$.id') WHERE json_extract(payload, '$.id') IS NOT NULL;`,
  // new names: the old indexes are dropped once these are built (Migration.dropIndexes)
  indexes: [
    {
      name: 'outbox_jobs_resource_id_waiting',
      on: "outbox_jobs (system, flow, resource_id) WHERE status IN ('pending', 'in-flight')",
    },
    {
      name: 'outbox_jobs_resource_id_written',
      on: 'outbox_jobs (system, flow, resource_id, created_at) WHERE resource_id IS NOT NULL',
    },
    {
      name: 'outbox_jobs_openhim_not_sent',
      on: `outbox_jobs (openhim_update, status, updated_at) WHERE ${UNSENT_JOB_UPDATE}`,
    },
  ],
  dropIndexes: ['outbox_jobs_resource_waiting', 'outbox_jobs_resource_written', 'outbox_jobs_openhim_unsent'],
};

export const POSTGRES_RESOURCE_ID: Migration = { version: 43, name: RESOURCE_ID_NAME, sql: '' };

/**
 * The value of resource_id for a new job: a string id as it is (json_extract of the stored text
 * gives the same string), anything else left to SQLite (RESOURCE_ID_VALUE), so no payload is
 * parsed again to find a string id.
 */
export function resourceIdOf(payload: unknown): string | null {
  const id = typeof payload === 'object' && payload !== null ? (payload as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
}

/** resource_id in the SQLite INSERT, bound to resourceIdOf's value, then the payload's text. */
export const SQLITE_RESOURCE_ID_VALUE = "COALESCE(?, json_extract(?, '$.id'))";
