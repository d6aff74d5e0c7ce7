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
 * no longer written. No UUID (platform/call-recording.ts requestKeyOf) is this.
 */
export const SHARED_REQUEST_KEY = '*';

/**
 * v50: each request kept apart, also when another had exactly its writes. Core keeps the routed
 * request's key (openhim/transaction-id.ts AWAITS_UPDATE_OF_REQUEST_PROPERTY), so the update is
 * shaped by its row alone; keyed by writes, a forger's row with the same writes was merged into it
 * (SHARED_REQUEST_KEY), its type and count lost unless both agreed, its entry map dropped.
 *
 * Rows of before keep their key: none (before v48) becomes '' (read back as none), a shared row
 * stays SHARED_REQUEST_KEY's. An instance of the previous release still running during the upgrade
 * names the old key in its ON CONFLICT: its insert fails and is logged (openhim/plugin.ts), its
 * update then judged without its row. SQLite rebuilds the table for the new key; PostgreSQL swaps
 * the primary key in place (the table holds only the transactions still owed an update).
 */
export const REQUESTS_APART_VERSION = 50;

const REQUESTS_APART_NAME = 'openhim: each request under a transaction id kept apart, by its key';

export const SQLITE_REQUESTS_APART: Migration = {
  version: REQUESTS_APART_VERSION,
  name: REQUESTS_APART_NAME,
  sql: `
CREATE TABLE openhim_transaction_requests_v50 (
  transaction_id TEXT NOT NULL,
  writes TEXT NOT NULL,
  request_key TEXT NOT NULL DEFAULT '',
  content_type TEXT,
  entries INTEGER,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (transaction_id, writes, request_key)
);
INSERT INTO openhim_transaction_requests_v50 (transaction_id, writes, request_key, content_type, entries, recorded_at)
  SELECT transaction_id, writes, COALESCE(request_key, ''), content_type, entries, recorded_at
  FROM openhim_transaction_requests;
DROP TABLE openhim_transaction_requests;
ALTER TABLE openhim_transaction_requests_v50 RENAME TO openhim_transaction_requests;
`,
};

export const POSTGRES_REQUESTS_APART: Migration = {
  version: REQUESTS_APART_VERSION,
  name: REQUESTS_APART_NAME,
  sql: `
UPDATE openhim_transaction_requests SET request_key = '' WHERE request_key IS NULL;
ALTER TABLE openhim_transaction_requests ALTER COLUMN request_key SET DEFAULT '';
ALTER TABLE openhim_transaction_requests ALTER COLUMN request_key SET NOT NULL;
ALTER TABLE openhim_transaction_requests DROP CONSTRAINT openhim_transaction_requests_pkey;
ALTER TABLE openhim_transaction_requests ADD PRIMARY KEY (transaction_id, writes, request_key);
`,
};

/**
 * One request ($1 transaction, $2 writes, $3 content type, $4 entries, $5 recorded at, $6 its key,
 * v48; '' when none). Kept apart from any other request's row (v50); the same request again (a
 * replay, the same key) keeps the first.
 */
export const INSERT_TRANSACTION_REQUEST_SQL = `INSERT INTO openhim_transaction_requests
  (transaction_id, writes, content_type, entries, recorded_at, request_key) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (transaction_id, writes, request_key) DO NOTHING`;

export const TRANSACTION_REQUESTS_SQL = `SELECT writes, content_type, entries, request_key FROM openhim_transaction_requests
  WHERE transaction_id = $1 ORDER BY recorded_at, writes`;

/** The row's values, recorded `now`. */
export function transactionRequestValues(r: TransactionRequest, now = Date.now()): unknown[] {
  return [r.transactionId, r.jobIds.join(' '), r.contentType ?? null, r.entries ?? null, now, r.requestKey ?? ''];
}

export function transactionRequestOf(transactionId: string, row: Record<string, unknown>): TransactionRequest {
  const r: TransactionRequest = { transactionId, jobIds: String(row.writes).split(' ').filter(Boolean) };
  if (typeof row.content_type === 'string') r.contentType = row.content_type;
  if (row.entries !== null && row.entries !== undefined) r.entries = Number(row.entries);
  if (row.request_key === SHARED_REQUEST_KEY) r.shared = true;
  else if (typeof row.request_key === 'string' && row.request_key) r.requestKey = row.request_key;
  return r;
}
