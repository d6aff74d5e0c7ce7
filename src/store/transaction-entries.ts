import { currentRequestKey } from '../platform/call-recording.js';
import type { Migration } from './migrations.js';
import type { EntryAnswer, RecordWriteResult, TransactionEntries, TransactionEntry } from './types.js';

/**
 * v24: how a Bundle's entries were answered, for its OpenHIM transaction update. A transaction or
 * batch Bundle through OpenHIM is one transaction; its update (src/openhim/transaction-updates.ts)
 * is a transaction-response Bundle that must follow the client's entries: a GET, an entry
 * answered without a write, several entries made one write, all have no job of their own, and a
 * write's secondary fan-out jobs are no entry at all. One row per entry: the write (job) whose end
 * decides it, or none, and the answer it was given (no job) or gets on delivery (status, location).
 *
 * Written in the same store transaction as the writes (recordWrites): a job that ends and reports
 * at once, or a process killed right after the answer, finds the map beside the jobs. Only for a
 * request through OpenHIM with more than one entry: a single write costs nothing more.
 * `entries`: how many entries the request has (a batch records its entries as it goes).
 */
export const TRANSACTION_ENTRIES: Migration = {
  version: 24,
  name: 'openhim: the entries of a Bundle answered through OpenHIM',
  sql: `
CREATE TABLE openhim_transaction_entries (
  transaction_id TEXT NOT NULL,
  entry INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  job_id TEXT,
  answer TEXT NOT NULL,
  PRIMARY KEY (transaction_id, entry)
);
`,
};

/**
 * v30: when each entry was recorded (epoch ms), so the retention prune can age the maps of
 * transactions that have no job of their own (a batch of only GETs through OpenHIM): nothing
 * else ever deletes them. Rows recorded before v30 read 0, and so do those an instance of an older
 * release still running during an upgrade records: of unknown time, given the time a prune first
 * sees them and kept for the retention from then (retention.ts). A constant
 * default adds the column without rewriting the table on either engine. The index, on a table
 * that grows, is built CONCURRENTLY on PostgreSQL (pg-migrations.ts).
 */
export function transactionEntriesRecordedAt(epochMsType: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 30,
    name: 'openhim: when each entry map row was recorded, for the retention prune',
    sql: `ALTER TABLE openhim_transaction_entries ADD COLUMN recorded_at ${epochMsType} NOT NULL DEFAULT 0`,
    indexes: [
      {
        name: 'openhim_transaction_entries_recorded',
        on: 'openhim_transaction_entries (recorded_at, transaction_id, entry)',
      },
    ],
  };
}

/**
 * One entry ($1 transaction, $2 entry, $3 entries, $4 job, $5 answer, $6 recorded at, $7 request
 * key, v48). Each request under the id keeps its own map; an entry recorded twice keeps the first.
 */
export const INSERT_TRANSACTION_ENTRY_SQL = `INSERT INTO openhim_transaction_entries
  (transaction_id, entry, entries, job_id, answer, recorded_at, request_key)
  VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`;

/** PostgreSQL: every entry in one statement, $1..$7 one array per column. */
export const PG_INSERT_TRANSACTION_ENTRIES_SQL = `INSERT INTO openhim_transaction_entries
  (transaction_id, entry, entries, job_id, answer, recorded_at, request_key)
  SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::text[])
  ON CONFLICT DO NOTHING`;

/**
 * One request's map under a transaction id, let go once its answer owes no update (a resent
 * transaction Bundle answered in full from writes already done): nothing reads it any more
 * (openhim/plugin.ts releaseEntries); or once its row is dropped past REQUESTS_PER_WRITES (a
 * forger repeating a routed request's writes under its id): kept, every such map was read by the
 * transaction's update, as many as were sent. Other requests' maps under the same id are kept.
 */
export const RELEASE_REQUEST_ENTRIES_SQL =
  'DELETE FROM openhim_transaction_entries WHERE transaction_id = $1 AND request_key = $2';

export const TRANSACTION_ENTRIES_SQL = `SELECT entry, entries, job_id, answer, request_key FROM openhim_transaction_entries
  WHERE transaction_id = $1 ORDER BY request_key, entry`;

/**
 * `map` with the key of the request being handled (v48) when it names none: read as the store
 * method is called, in the request's async context (the write itself may run in another's turn).
 */
export function ofThisRequest(map: TransactionEntries): TransactionEntries;
export function ofThisRequest(map: TransactionEntries | undefined): TransactionEntries | undefined;
export function ofThisRequest(map: TransactionEntries | undefined): TransactionEntries | undefined {
  if (!map || map.requestKey !== undefined) return map;
  const requestKey = currentRequestKey();
  return requestKey === undefined ? map : { ...map, requestKey };
}

/**
 * The rows to insert, recorded `now`: each entry's job named by the id recordWrites gave it (a
 * duplicate's: the job answering).
 */
export function transactionEntryValues(
  map: TransactionEntries,
  results: RecordWriteResult[] = [],
  now = Date.now(),
): unknown[][] {
  return map.entries.map((e) => [
    map.transactionId,
    e.entry,
    map.count,
    e.job === undefined ? null : (results[e.job]?.job.id ?? null),
    JSON.stringify(e.answer),
    now,
    map.requestKey ?? '',
  ]);
}

export function transactionEntryOf(row: Record<string, unknown>): TransactionEntry {
  return {
    entry: Number(row.entry),
    count: Number(row.entries),
    ...(row.job_id == null ? {} : { jobId: String(row.job_id) }),
    answer: JSON.parse(String(row.answer)) as EntryAnswer,
    ...(row.request_key ? { requestKey: String(row.request_key) } : {}),
  };
}
