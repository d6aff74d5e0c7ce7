import type { Migration } from './migrations.js';

/**
 * v48: the Bundle entry answers (v24) and the kept requests (v47) of an OpenHIM transaction id say
 * which request they are of. Inbound auth is one shared credential, so a client reaching the
 * mediator directly can send the id of a real transaction: its Bundle's entry map was kept first
 * at each position (the key was the transaction and the entry), and a forged Bundle of only reads
 * with as many entries as the routed one lent it its answers. Each request's map is now its own
 * (key: transaction, request, entry), and the routed request's row names its map.
 *
 * Rows of before (and those an instance of an older release still running during the upgrade
 * writes) have the key '' (entries) or none (requests): read together, as before v48. SQLite
 * rebuilds the table for its new key; PostgreSQL swaps the primary key in place (the table holds
 * only the maps of transactions still owed an update or recently answered: it is pruned with them).
 */
export const REQUEST_KEYS_VERSION = 48;

const ADD_REQUEST_KEY = 'ALTER TABLE openhim_transaction_requests ADD COLUMN request_key TEXT;';

export const SQLITE_REQUEST_KEYS: Migration = {
  version: REQUEST_KEYS_VERSION,
  name: 'openhim: the entry answers and kept requests of a transaction by request',
  sql: `
${ADD_REQUEST_KEY}
CREATE TABLE openhim_transaction_entries_v48 (
  transaction_id TEXT NOT NULL,
  request_key TEXT NOT NULL DEFAULT '',
  entry INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  job_id TEXT,
  answer TEXT NOT NULL,
  recorded_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (transaction_id, request_key, entry)
);
INSERT INTO openhim_transaction_entries_v48 (transaction_id, entry, entries, job_id, answer, recorded_at)
  SELECT transaction_id, entry, entries, job_id, answer, recorded_at FROM openhim_transaction_entries;
DROP TABLE openhim_transaction_entries;
ALTER TABLE openhim_transaction_entries_v48 RENAME TO openhim_transaction_entries;
CREATE INDEX openhim_transaction_entries_recorded ON openhim_transaction_entries (recorded_at, transaction_id, entry);
`,
};

export const POSTGRES_REQUEST_KEYS: Migration = {
  version: REQUEST_KEYS_VERSION,
  name: SQLITE_REQUEST_KEYS.name,
  sql: `
${ADD_REQUEST_KEY}
ALTER TABLE openhim_transaction_entries ADD COLUMN request_key TEXT NOT NULL DEFAULT '';
ALTER TABLE openhim_transaction_entries DROP CONSTRAINT openhim_transaction_entries_pkey;
ALTER TABLE openhim_transaction_entries ADD PRIMARY KEY (transaction_id, request_key, entry);
`,
};
