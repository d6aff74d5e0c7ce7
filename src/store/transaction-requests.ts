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
 * The request key of a row two requests with the same writes were recorded as: which of them core
 * routed is not known. A client reaching the mediator directly can repeat the routed request's
 * writes (their idempotency keys answer it from the same jobs) under its transaction id, before or
 * after it; the row kept first was then its, and the update took its Bundle's entry map and type
 * (another's entries on OpenHIM's record, or a short map holding the update back as a batch still
 * being answered). No UUID (platform/call-recording.ts requestKeyOf) is this.
 */
export const SHARED_REQUEST_KEY = '*';

/**
 * One request ($1 transaction, $2 writes, $3 content type, $4 entries, $5 recorded at, $6 the key
 * its entry map is recorded under, v48). A replay (the same key) keeps the first; another request
 * with the same writes makes the row SHARED_REQUEST_KEY's, its type and entry count kept only when
 * both agree (the count says the update is a Bundle: routed-writes.ts).
 */
export const INSERT_TRANSACTION_REQUEST_SQL = `INSERT INTO openhim_transaction_requests AS kept
  (transaction_id, writes, content_type, entries, recorded_at, request_key) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (transaction_id, writes) DO UPDATE SET request_key = '${SHARED_REQUEST_KEY}',
    content_type = CASE WHEN kept.content_type = excluded.content_type THEN kept.content_type END,
    entries = CASE WHEN kept.entries = excluded.entries THEN kept.entries END
  WHERE kept.request_key IS DISTINCT FROM excluded.request_key`;

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
  if (row.request_key === SHARED_REQUEST_KEY) r.shared = true;
  else if (typeof row.request_key === 'string') r.requestKey = row.request_key;
  return r;
}
