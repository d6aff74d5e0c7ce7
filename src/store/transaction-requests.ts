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
 * idempotency keys) adds a row under a key of its own each time; past this many, none. The routed
 * request's own row is then not kept either, if it comes last: its update is built from its map,
 * else its writes' answers (routed-writes.ts), never from another's row.
 */
export const REQUESTS_PER_WRITES = 8;

const REQUESTS_APART_NAME = 'openhim: each request under a transaction id kept apart, by its key';

function requestsApart(epochMsType: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: REQUESTS_APART_VERSION,
    name: REQUESTS_APART_NAME,
    sql: `
CREATE TABLE openhim_request_rows (
  transaction_id TEXT NOT NULL,
  writes TEXT NOT NULL,
  request_key TEXT NOT NULL,
  content_type TEXT,
  entries INTEGER,
  recorded_at ${epochMsType} NOT NULL,
  PRIMARY KEY (transaction_id, writes, request_key)
);
`,
  };
}

export const SQLITE_REQUESTS_APART = requestsApart('INTEGER');
export const POSTGRES_REQUESTS_APART = requestsApart('BIGINT');

/**
 * One request ($1 transaction, $2 writes, $3 content type, $4 entries, $5 recorded at, $6 its key;
 * '' when none) in the table of v50 alone, kept apart from any other request's row; the same
 * request again (a replay, the same key) keeps the first; none past REQUESTS_PER_WRITES rows with
 * its writes. Each value bound once (store/rows.ts sqliteParams numbers them in order).
 */
export const INSERT_TRANSACTION_REQUEST_SQL = `WITH p (tx, writes, content_type, entries, recorded_at, request_key) AS
  (SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS INTEGER), CAST($5 AS BIGINT), CAST($6 AS TEXT))
INSERT INTO openhim_request_rows (transaction_id, request_key, writes, content_type, entries, recorded_at)
  SELECT tx, request_key, writes, content_type, entries, recorded_at FROM p
  WHERE (SELECT COUNT(*) FROM openhim_request_rows r WHERE r.transaction_id = p.tx AND r.writes = p.writes)
    < ${REQUESTS_PER_WRITES}
  ON CONFLICT (transaction_id, writes, request_key) DO NOTHING`;

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
  return [r.transactionId, r.jobIds.join(' '), r.contentType ?? null, r.entries ?? null, now, r.requestKey ?? ''];
}

export function transactionRequestOf(transactionId: string, row: Record<string, unknown>): TransactionRequest {
  const r: TransactionRequest = { transactionId, jobIds: String(row.writes).split(' ').filter(Boolean) };
  if (typeof row.content_type === 'string') r.contentType = row.content_type;
  if (row.entries !== null && row.entries !== undefined) r.entries = Number(row.entries);
  if (Number(row.apart) === 1) r.apart = true;
  else if (row.request_key === SHARED_REQUEST_KEY) r.shared = true;
  if (!r.shared && typeof row.request_key === 'string' && row.request_key) r.requestKey = row.request_key;
  return r;
}
