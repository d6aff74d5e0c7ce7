import type { Migration } from './migrations.js';
import type { TransactionRequest } from './types.js';

/**
 * v47: the writes of each request answered under an OpenHIM transaction id whose transaction
 * awaits our update, one row per request, recorded as it is answered (openhim/plugin.ts). Inbound
 * auth is one shared credential, so a client reaching the mediator directly can send the id of a
 * transaction that really awaits our update: its writes are kept under that id too. Core's copy
 * of the envelope names the routed request's writes (properties.awaitsUpdateOfWrites), which only
 * a read of the transaction tells; these rows let the update be judged due, and built, from one
 * request's writes: due once the writes of a request have all ended (a forged request's
 * unfinished job no longer holds it back), sent only when that request is the one core names.
 * `writes`: its job ids, space-separated, in order; `content_type`: the Content-Type it was
 * answered with (the client's FHIR release, for the update's response); `entries`: its Bundle's
 * entry count, NULL when it was no Bundle (then no entry map under the id is its).
 */
export const TRANSACTION_REQUESTS_VERSION = 47;

export function transactionRequests(epochMsType: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: TRANSACTION_REQUESTS_VERSION,
    name: 'openhim: the writes of each request under a transaction id, for its update',
    sql: `
CREATE TABLE openhim_transaction_requests (
  transaction_id TEXT NOT NULL,
  writes TEXT NOT NULL,
  content_type TEXT,
  entries INTEGER,
  recorded_at ${epochMsType} NOT NULL,
  PRIMARY KEY (transaction_id, writes)
);
`,
  };
}

/**
 * The request key of a row two requests with the same writes were recorded as by a release before
 * v50, which kept one row per writes: which of them core routed is not known. A client reaching
 * the mediator directly can repeat the routed request's writes (their idempotency keys answer it
 * from the same jobs) under its transaction id, before or after it. Read back as such (`shared`);
 * written only by such a release (in v47's table, by an instance still running during the
 * upgrade). No UUID (platform/call-recording.ts requestKeyOf) is this.
 */
export const SHARED_REQUEST_KEY = '*';

/**
 * v50: each request kept apart, also when another had exactly its writes, in a table of its own
 * keyed by the request (openhim_request_rows). Core keeps the routed request's key
 * (openhim/transaction-id.ts AWAITS_UPDATE_OF_REQUEST_PROPERTY), so the update is shaped by its
 * row alone; keyed by writes, a forger's row with the same writes was merged into it
 * (SHARED_REQUEST_KEY), its type and count lost unless both agreed, its entry map dropped.
 *
 * The table of v47 is left as it is: an instance of the previous release still running during a
 * rolling upgrade keeps writing and reading it exactly as before (its ON CONFLICT names its key;
 * it never sees a row of this release, so never takes a forger's kept here as the routed one),
 * and transactions it marked (no key named) are read from it by the rules of then. Created empty,
 * the new table costs the upgrade nothing: no rows copied, no lock held on the old table.
 */
export const REQUESTS_APART_VERSION = 50;

/**
 * Rows kept per transaction and writes: a request repeating a routed request's writes (their
 * idempotency keys) adds a row under a key of its own each time. Past this many, the request being
 * answered keeps its row (its envelope names its key: it may be the one core routed) and the newest
 * of the others is dropped (EVICT_TRANSACTION_REQUESTS_SQL, logged by openhim/plugin.ts): the
 * oldest REQUESTS_PER_WRITES - 1 stay, among them the routed request's when it came first, as it
 * does unless a forger knew its transaction's id before core routed it.
 */
export const REQUESTS_PER_WRITES = 8;

const REQUESTS_APART_NAME = 'openhim: each request under a transaction id kept apart, by its key';

/** v50's table; `IF NOT EXISTS` for v52, which creates it where an early build of v50 did not. */
function requestRowsTable(epochMsType: 'INTEGER' | 'BIGINT', ifNotExists = ''): string {
  return `
CREATE TABLE ${ifNotExists}openhim_request_rows (
  transaction_id TEXT NOT NULL,
  writes TEXT NOT NULL,
  request_key TEXT NOT NULL,
  content_type TEXT,
  entries INTEGER,
  recorded_at ${epochMsType} NOT NULL,
  PRIMARY KEY (transaction_id, writes, request_key)
);
`;
}

function requestsApart(epochMsType: 'INTEGER' | 'BIGINT'): Migration {
  return { version: REQUESTS_APART_VERSION, name: REQUESTS_APART_NAME, sql: requestRowsTable(epochMsType) };
}

export const SQLITE_REQUESTS_APART = requestsApart('INTEGER');
export const POSTGRES_REQUESTS_APART = requestsApart('BIGINT');

/**
 * v52: v50's table created where it is missing. A development database migrated by an early build
 * of v50 (commit 1ccacd1, never released) recorded v50 with v47's table altered in place instead
 * (its key widened to the request's): the table of v50 was never made, so every request under a
 * transaction id failed to be kept (logged) and each update was judged without its row. Nothing
 * else of that build is undone: this release only reads v47's table, which its columns still fit.
 * A database of any other history has the table: nothing done, no lock taken.
 */
export const REQUEST_ROWS_ENSURED_VERSION = 52;

function requestRowsEnsured(epochMsType: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: REQUEST_ROWS_ENSURED_VERSION,
    name: 'openhim: the table of v50 created where an early build of v50 left it out',
    sql: requestRowsTable(epochMsType, 'IF NOT EXISTS '),
  };
}

export const SQLITE_REQUEST_ROWS_ENSURED = requestRowsEnsured('INTEGER');
export const POSTGRES_REQUEST_ROWS_ENSURED = requestRowsEnsured('BIGINT');

/**
 * One request ($1 transaction, $2 writes, $3 content type, $4 entries, $5 recorded at, $6 its key;
 * '' when none) in the table of v50 alone, kept apart from any other request's row; the same
 * request again (a replay, the same key) keeps the first. Each value bound once (store/rows.ts
 * sqliteParams numbers them in order). Bounded by EVICT_TRANSACTION_REQUESTS_SQL, in the same
 * transaction, which keeps the oldest: so its time is never before that of a row already kept
 * with its writes (the latest + 1 ms when the clock says earlier). Instances' clocks differ (and
 * one may be stepped back): a forged request answered by an instance whose clock is behind would
 * otherwise be stamped before the routed request's row and have it dropped as the newest other.
 */
export const INSERT_TRANSACTION_REQUEST_SQL = `WITH p (tx, writes, content_type, entries, recorded_at, request_key) AS
  (SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS INTEGER), CAST($5 AS BIGINT), CAST($6 AS TEXT)),
latest (at) AS (SELECT MAX(r.recorded_at) FROM openhim_request_rows r, p
  WHERE r.transaction_id = p.tx AND r.writes = p.writes)
INSERT INTO openhim_request_rows (transaction_id, request_key, writes, content_type, entries, recorded_at)
  SELECT tx, request_key, writes, content_type, entries,
    CASE WHEN latest.at >= p.recorded_at THEN latest.at + 1 ELSE p.recorded_at END
  FROM p, latest
  WHERE true -- SQLite reads ON after a FROM without it as a join's
  ON CONFLICT (transaction_id, writes, request_key) DO NOTHING`;

/**
 * After request $3's row ($1 transaction, $2 its writes) is kept: the rows of other requests with
 * these writes past the oldest REQUESTS_PER_WRITES - 1 dropped, never its own (REQUESTS_PER_WRITES);
 * their keys returned. Deletes all such rows, not one: a row recorded concurrently is bounded too.
 */
export const EVICT_TRANSACTION_REQUESTS_SQL = `DELETE FROM openhim_request_rows
  WHERE transaction_id = $1 AND writes = $2 AND request_key <> $3
    AND request_key NOT IN (SELECT o.request_key FROM openhim_request_rows o
      WHERE o.transaction_id = $4 AND o.writes = $5 AND o.request_key <> $6
      ORDER BY o.recorded_at, o.request_key LIMIT ${REQUESTS_PER_WRITES - 1})
  RETURNING request_key`;

/** EVICT_TRANSACTION_REQUESTS_SQL's values (each bound once) for a row of transactionRequestValues. */
export function evictionValues(values: readonly unknown[]): unknown[] {
  const [tx, writes, , , , key] = values;
  return [tx, writes, key, tx, writes, key];
}

/**
 * The writes of a request as kept and counted: each job once, in one order, one space apart. The
 * same jobs answered in another order (a Bundle's entries reordered) are the same writes, so the
 * bound counts them together; no reader takes their order from the row (routed-writes.ts).
 */
export function canonicalWrites(jobIds: readonly string[]): string {
  return [...new Set(jobIds.flatMap((id) => id.split(/\s+/)).filter(Boolean))].sort().join(' ');
}

/**
 * The requests kept under transaction $1, oldest first: those of the v47 table (recorded before
 * v50, or by an instance of an earlier release since), and those of v50 (`apart` 1).
 */
export const TRANSACTION_REQUESTS_SQL = `WITH p (tx) AS (SELECT CAST($1 AS TEXT))
SELECT writes, content_type, entries, request_key, 0 AS apart, recorded_at FROM openhim_transaction_requests, p
  WHERE transaction_id = p.tx
UNION ALL
SELECT writes, content_type, entries, request_key, 1 AS apart, recorded_at FROM openhim_request_rows, p
  WHERE transaction_id = p.tx
ORDER BY recorded_at, writes`;

/** The row's values, recorded `now`. */
export function transactionRequestValues(r: TransactionRequest, now = Date.now()): unknown[] {
  return [
    r.transactionId,
    canonicalWrites(r.jobIds),
    r.contentType ?? null,
    r.entries ?? null,
    now,
    r.requestKey ?? '',
  ];
}

export function transactionRequestOf(transactionId: string, row: Record<string, unknown>): TransactionRequest {
  const r: TransactionRequest = { transactionId, jobIds: String(row.writes).split(/\s+/).filter(Boolean) };
  if (typeof row.content_type === 'string') r.contentType = row.content_type;
  if (row.entries !== null && row.entries !== undefined) r.entries = Number(row.entries);
  if (Number(row.apart) === 1) r.apart = true;
  else if (row.request_key === SHARED_REQUEST_KEY) r.shared = true;
  if (!r.shared && typeof row.request_key === 'string' && row.request_key) r.requestKey = row.request_key;
  return r;
}
