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
 * One request ($1 transaction, $2 writes, $3 content type, $4 entries, $5 recorded at, $6 the key
 * its entry map is recorded under, v48); a replay keeps the first.
 */
export const INSERT_TRANSACTION_REQUEST_SQL = `INSERT INTO openhim_transaction_requests
  (transaction_id, writes, content_type, entries, recorded_at, request_key) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT DO NOTHING`;

export const TRANSACTION_REQUESTS_SQL = `SELECT writes, content_type, entries, request_key FROM openhim_transaction_requests
  WHERE transaction_id = $1 ORDER BY recorded_at, writes`;

/** The row's values, recorded `now`. */
export function transactionRequestValues(r: TransactionRequest, now = Date.now()): unknown[] {
  return [r.transactionId, r.jobIds.join(' '), r.contentType ?? null, r.entries ?? null, now, r.requestKey ?? null];
}

export function transactionRequestOf(transactionId: string, row: Record<string, unknown>): TransactionRequest {
  const r: TransactionRequest = { transactionId, jobIds: String(row.writes).split(' ').filter(Boolean) };
  if (typeof row.content_type === 'string') r.contentType = row.content_type;
  if (row.entries !== null && row.entries !== undefined) r.entries = Number(row.entries);
  if (typeof row.request_key === 'string') r.requestKey = row.request_key;
  return r;
}
