import { POSTGRES_RERUN_UPDATES, SQLITE_RERUN_UPDATES } from './rerun-updates.js';
import {
  POSTGRES_TRANSACTION_UPDATES,
  SQLITE_TRANSACTION_UPDATES,
  TRANSACTION_JOBS_INDEX,
  UNSENT_UPDATES_INDEXES,
  RERUN_TRANSACTION_INDEX,
} from './transaction-updates.js';
import { UPSTREAM_LINKS_INDEX } from './upstream-links.js';
import { DROP_UNFINISHED_INDEX, UNFINISHED_BY_SYSTEM_INDEX, WAITING_JOBS_INDEXES } from './job-counts.js';
import {
  POSTGRES_ORDER_KEYS,
  POSTGRES_ORDER_WRITTEN_INDEX,
  POSTGRES_ORDER_SEQ,
  POSTGRES_RESOURCE_ID,
  POSTGRES_RESOURCE_ORDER_INDEX,
  POSTGRES_RESOURCE_WRITTEN_INDEX,
  SQLITE_ORDER_KEYS,
  SQLITE_ORDER_WRITTEN_INDEX,
  SQLITE_ORDER_SEQ,
  SQLITE_RESOURCE_ID,
  SQLITE_RESOURCE_ORDER_INDEX,
  SQLITE_RESOURCE_WRITTEN_INDEX,
} from './resource-order.js';
import { POSTGRES_WITHOUT_ROWID, SQLITE_WITHOUT_ROWID } from './without-rowid.js';
import { TRANSACTION_ENTRIES, transactionEntriesRecordedAt } from './transaction-entries.js';
import { FINISHED_JOBS_INDEX } from './retention.js';
import { POSTGRES_REPEATED_ATTEMPTS, SQLITE_REPEATED_ATTEMPTS } from './repeated-attempts.js';
import { OPERATOR_RETRIES } from './operator-retries.js';
import { POSTGRES_OPENHIM_FINAL_CALLS, SQLITE_OPENHIM_FINAL_CALLS } from './openhim-final-calls.js';
import {
  POSTGRES_REQUEST_ROWS_ENSURED,
  POSTGRES_REQUESTS_APART,
  SQLITE_REQUEST_ROWS_ENSURED,
  SQLITE_REQUESTS_APART,
  transactionRequests,
} from './transaction-requests.js';
import { POSTGRES_REQUEST_KEYS, SQLITE_REQUEST_KEYS } from './request-keys.js';
import { POSTGRES_KEY_VALUES, POSTGRES_MARKED_VALUES, SQLITE_KEY_VALUES, SQLITE_MARKED_VALUES } from './key-values.js';
import { POSTGRES_FAILING_SINCE, SQLITE_FAILING_SINCE } from './failing-since.js';
import { SECONDARY_LINKS } from './secondary-links.js';
import { POSTGRES_ATTEMPT_ENDS, SQLITE_ATTEMPT_ENDS } from './attempt-ends.js';
import { DONE_BY_SYSTEM_INDEX, POSTGRES_OUTAGE_FAILED_AT, SQLITE_OUTAGE_FAILED_AT } from './others-failing.js';
import { DECIDED_IN } from './decided-in.js';
import { POSTGRES_ESCAPED_KEYS, SQLITE_ESCAPED_KEYS } from './escaped-keys.js';
import { PROPAGATION_REVISION } from './propagation-revision.js';
import { REGISTRY_UNPLANNED } from './registry-unplanned.js';
import { POSTGRES_NUMBERED_KEYS, SQLITE_NUMBERED_KEYS } from './numbered-keys.js';
import { POSTGRES_ATTEMPT_BUDGET_KEY, SQLITE_ATTEMPT_BUDGET_KEY } from './attempt-budget-key.js';

/**
 * Versioned schema migrations, one list per engine, applied in order at start-up. A migration is
 * never edited once released: add a new version instead. Both lists must keep the same versions
 * so the two engines always hold the same logical schema.
 */
export interface Migration {
  version: number;
  name: string;
  /** Run in the migration's transaction; '' when the migration only adds `indexes`. */
  sql: string;
  /**
   * Indexes on tables that grow (outbox_jobs, resource_links, openhim_rerun_updates, …), built
   * after `sql`. PostgreSQL builds each CONCURRENTLY, outside the transaction, so instances still
   * running keep writing (pg-migrations.ts); SQLite in the transaction (one writer, no concurrent
   * build). An index on a table the same migration creates belongs in `sql`: that table is empty.
   */
  indexes?: IndexBuild[];
  /**
   * Indexes dropped after `indexes` are built, by name: PostgreSQL drops each CONCURRENTLY, outside
   * the transaction (a plain DROP INDEX waits for every open transaction on the table with an
   * ACCESS EXCLUSIVE lock, and every write queues behind it); SQLite in the transaction.
   */
  dropIndexes?: string[];
}

/** An index a migration builds: `CREATE INDEX <name> ON <on>`. */
export interface IndexBuild {
  /** Unique in the schema: how an interrupted build's INVALID index is found again. */
  name: string;
  /** The table, its columns or expressions, and a partial index's WHERE. */
  on: string;
}

export function createIndexSql(index: IndexBuild, { concurrently = false } = {}): string {
  return `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${index.name} ON ${index.on}`;
}

/** IF EXISTS: a drop interrupted after it committed, or a schema that never had the index, is done. */
export function dropIndexSql(name: string, { concurrently = false } = {}): string {
  return `DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS ${name}`;
}

/** v2, the same in both engines but for the epoch-milliseconds column type. */
function resourceLinks(epochMsType: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 2,
    name: 'resource links: FHIR ids of written and read objects',
    sql: `
CREATE TABLE resource_links (
  flow TEXT NOT NULL,
  fhir_id TEXT NOT NULL,
  system TEXT NOT NULL,
  upstream_id TEXT,
  job_id TEXT,
  updated_at ${epochMsType} NOT NULL,
  PRIMARY KEY (flow, fhir_id)
);
CREATE INDEX resource_links_job ON resource_links (job_id);
`,
  };
}

/** Column types that differ between the engines; everything else in the schema is shared. */
interface DialectTypes {
  /** Epoch milliseconds. */
  epochMs: 'INTEGER' | 'BIGINT';
  /** A JSON document (SQLite keeps the text, PostgreSQL parses it). */
  json: 'TEXT' | 'JSONB';
  real: 'REAL' | 'DOUBLE PRECISION';
  /** An auto-numbered primary key. */
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT' | 'BIGSERIAL PRIMARY KEY';
}

/** v1, one schema for both engines with their own column types. */
function coreSchema(t: DialectTypes): Migration {
  return {
    version: 1,
    name: 'crosswalk, outbox, idempotency, journal, audit, schedules',
    sql: `
CREATE TABLE crosswalk (
  system TEXT NOT NULL,
  system_id TEXT NOT NULL,
  registry_id TEXT,
  state TEXT NOT NULL,
  zone TEXT NOT NULL,
  score ${t.real},
  reasons ${t.json} NOT NULL,
  suggestions ${t.json} NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  comment TEXT,
  input_hash TEXT,
  PRIMARY KEY (system, system_id)
);
CREATE INDEX crosswalk_registry_id ON crosswalk (registry_id);

CREATE TABLE outbox_jobs (
  id TEXT PRIMARY KEY,
  flow TEXT NOT NULL,
  system TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  payload ${t.json} NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at ${t.epochMs} NOT NULL,
  lease_owner TEXT,
  lease_until ${t.epochMs},
  result ${t.json},
  error ${t.json},
  last_error TEXT,
  transaction_id TEXT,
  created_at ${t.epochMs} NOT NULL,
  updated_at ${t.epochMs} NOT NULL
);
CREATE INDEX outbox_jobs_due ON outbox_jobs (system, status, next_attempt_at);
CREATE INDEX outbox_jobs_key ON outbox_jobs (idempotency_key);

CREATE TABLE idempotency_keys (
  flow TEXT NOT NULL,
  system TEXT NOT NULL,
  key TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at ${t.epochMs} NOT NULL,
  PRIMARY KEY (flow, system, key)
);

CREATE TABLE step_journal (
  job_id TEXT NOT NULL,
  step TEXT NOT NULL,
  result ${t.json},
  completed_at ${t.epochMs} NOT NULL,
  PRIMARY KEY (job_id, step)
);

CREATE TABLE audit (
  id ${t.serialKey},
  at ${t.epochMs} NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT,
  details ${t.json} NOT NULL
);
CREATE INDEX audit_subject ON audit (subject);

CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  last_run_at ${t.epochMs},
  last_status TEXT,
  last_error TEXT
);
`,
  };
}

/**
 * v3: a refused write frees its business key. The key moves to the write sent after the refusal;
 * the refused job stays for the audit trail, marked with the job that took its key over, and can
 * no longer be retried (the newer write answers for the key). Same SQL on both engines.
 */
const SUPERSEDED_JOBS: Migration = {
  version: 3,
  name: 'outbox: a refused job is superseded by the next write under its key',
  sql: 'ALTER TABLE outbox_jobs ADD COLUMN superseded_by TEXT;',
};

/**
 * v4: runs of scheduled jobs (src/jobs/). The unique (name, tick_at) index is what lets only one
 * instance run a tick: the run's insert claims it (see src/store/job-runs.ts). It replaces v1's
 * `schedules` (last run per job, kept by an interval scheduler nothing ever started), dropped.
 */
function jobRuns(t: DialectTypes): Migration {
  return {
    version: 4,
    name: 'job runs: one row per run of a scheduled job, one per tick',
    sql: `
CREATE TABLE job_runs (
  id ${t.serialKey},
  name TEXT NOT NULL,
  tick_at ${t.epochMs},
  trigger TEXT NOT NULL,
  instance TEXT,
  started_at ${t.epochMs} NOT NULL,
  ended_at ${t.epochMs},
  outcome TEXT NOT NULL,
  detail TEXT,
  counts ${t.json}
);
CREATE UNIQUE INDEX job_runs_tick ON job_runs (name, tick_at);
CREATE INDEX job_runs_recent ON job_runs (name, started_at);
DROP TABLE schedules;
`,
  };
}

/**
 * v5: a FHIR id may stand for objects in several systems (a write fanned out to secondary
 * targets, DESIGN §3 Routing), so links are keyed by (flow, FHIR id, system) and the system of
 * record is marked. Existing links were all written to their system of record. The table is
 * rebuilt because SQLite cannot change a primary key in place; the SQL is the same on both engines.
 */
function linksBySystem(epochMsType: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 5,
    name: 'resource links: one per (flow, FHIR id, system), the system of record marked',
    sql: `
CREATE TABLE resource_links_by_system (
  flow TEXT NOT NULL,
  fhir_id TEXT NOT NULL,
  system TEXT NOT NULL,
  upstream_id TEXT,
  job_id TEXT,
  system_of_record INTEGER NOT NULL DEFAULT 1,
  updated_at ${epochMsType} NOT NULL,
  PRIMARY KEY (flow, fhir_id, system)
);
INSERT INTO resource_links_by_system (flow, fhir_id, system, upstream_id, job_id, system_of_record, updated_at)
  SELECT flow, fhir_id, system, upstream_id, job_id, 1, updated_at FROM resource_links;
DROP TABLE resource_links;
ALTER TABLE resource_links_by_system RENAME TO resource_links;
CREATE INDEX resource_links_job ON resource_links (job_id);
`,
  };
}

/**
 * When the mediator first saw each version of an upstream resource: its meta.lastUpdated where the
 * system keeps no change time (an OpenLMIS facility), so `_lastUpdated=gt` sees a change.
 */
function contentSeen(epochMsType: string): Migration {
  return {
    version: 6,
    name: 'content_seen: first sighting of each version of a resource',
    sql: `
CREATE TABLE content_seen (
  flow TEXT NOT NULL,
  fhir_id TEXT NOT NULL,
  version TEXT NOT NULL,
  seen_at ${epochMsType} NOT NULL,
  PRIMARY KEY (flow, fhir_id)
);
`,
  };
}

/** The registry side: high-water marks, the registry records seen, propagation per system. */
function registrySide(types: DialectTypes): Migration {
  return {
    version: 7,
    name: 'cursors, registry_records, propagations: registry propagation and bridges',
    sql: `
CREATE TABLE cursors (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at ${types.epochMs} NOT NULL
);
CREATE TABLE registry_records (
  registry_id TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  changed_at ${types.epochMs} NOT NULL,
  record ${types.json} NOT NULL,
  seen_at ${types.epochMs} NOT NULL
);
CREATE TABLE propagations (
  registry_id TEXT NOT NULL,
  system TEXT NOT NULL,
  version TEXT NOT NULL,
  action TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT,
  job_id TEXT,
  system_id TEXT,
  unsupported ${types.json},
  updated_at ${types.epochMs} NOT NULL,
  PRIMARY KEY (registry_id, system)
);
CREATE INDEX propagations_state ON propagations (state, system);
`,
  };
}

/**
 * v11: console sign-in sessions kept in the store (a restart keeps people signed in; instances on
 * PostgreSQL share them), and every delivery attempt of an outbox job, for its timeline (the job
 * row keeps only the count and the last error). Sessions are keyed by a digest of the cookie
 * value, so the table never holds a usable cookie.
 */
function consoleSessionsAndAttempts(types: DialectTypes): Migration {
  return {
    version: 11,
    name: 'console_sessions, job_attempts: persisted console sessions, every delivery attempt',
    sql: `
CREATE TABLE console_sessions (
  id_digest TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  data ${types.json} NOT NULL,
  created_at ${types.epochMs} NOT NULL,
  last_seen ${types.epochMs} NOT NULL
);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen);
CREATE TABLE job_attempts (
  job_id TEXT NOT NULL,
  started_at ${types.epochMs} NOT NULL,
  ended_at ${types.epochMs} NOT NULL,
  attempt INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX job_attempts_job ON job_attempts (job_id, started_at);
`,
  };
}

/**
 * v14: `propagations.job_id` was never written nor read (a propagation's outbox job is found by its
 * business key, propagationKey), so it goes. Both engines drop it in place: the column is in no
 * index, key or constraint, which SQLite's ALTER TABLE … DROP COLUMN (3.35+; better-sqlite3 ships
 * 3.53) requires.
 */
const DROP_PROPAGATION_JOB_ID: Migration = {
  version: 14,
  name: 'propagations: drop the unused job_id column',
  sql: 'ALTER TABLE propagations DROP COLUMN job_id;',
};

const SQLITE_TYPES: DialectTypes = {
  epochMs: 'INTEGER',
  json: 'TEXT',
  real: 'REAL',
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
};
const POSTGRES_TYPES: DialectTypes = {
  epochMs: 'BIGINT',
  json: 'JSONB',
  real: 'DOUBLE PRECISION',
  serialKey: 'BIGSERIAL PRIMARY KEY',
};

export const SQLITE_MIGRATIONS: Migration[] = [
  coreSchema(SQLITE_TYPES),
  resourceLinks(SQLITE_TYPES.epochMs),
  SUPERSEDED_JOBS,
  jobRuns(SQLITE_TYPES),
  linksBySystem(SQLITE_TYPES.epochMs),
  contentSeen(SQLITE_TYPES.epochMs),
  registrySide(SQLITE_TYPES),
  consoleSessionsAndAttempts(SQLITE_TYPES),
  UPSTREAM_LINKS_INDEX,
  DROP_PROPAGATION_JOB_ID,
  SQLITE_WITHOUT_ROWID,
  SQLITE_TRANSACTION_UPDATES,
  SQLITE_RERUN_UPDATES,
  TRANSACTION_JOBS_INDEX,
  UNSENT_UPDATES_INDEXES,
  RERUN_TRANSACTION_INDEX,
  WAITING_JOBS_INDEXES,
  SQLITE_RESOURCE_ORDER_INDEX,
  SQLITE_RESOURCE_WRITTEN_INDEX,
  TRANSACTION_ENTRIES,
  SQLITE_ORDER_KEYS,
  SQLITE_ORDER_WRITTEN_INDEX,
  FINISHED_JOBS_INDEX,
  SQLITE_ORDER_SEQ,
  UNFINISHED_BY_SYSTEM_INDEX,
  transactionEntriesRecordedAt(SQLITE_TYPES.epochMs),
  DROP_UNFINISHED_INDEX,
  SQLITE_RESOURCE_ID,
  SQLITE_REPEATED_ATTEMPTS,
  OPERATOR_RETRIES,
  SQLITE_OPENHIM_FINAL_CALLS,
  transactionRequests(SQLITE_TYPES.epochMs),
  SQLITE_REQUEST_KEYS,
  SQLITE_KEY_VALUES,
  SQLITE_REQUESTS_APART,
  SQLITE_FAILING_SINCE,
  SQLITE_REQUEST_ROWS_ENSURED,
  SECONDARY_LINKS,
  SQLITE_ATTEMPT_ENDS,
  SQLITE_NUMBERED_KEYS,
  SQLITE_ATTEMPT_BUDGET_KEY,
  DONE_BY_SYSTEM_INDEX,
  SQLITE_OUTAGE_FAILED_AT,
  SQLITE_MARKED_VALUES,
  DECIDED_IN,
  SQLITE_ESCAPED_KEYS,
  PROPAGATION_REVISION,
  REGISTRY_UNPLANNED,
];

export const POSTGRES_MIGRATIONS: Migration[] = [
  coreSchema(POSTGRES_TYPES),
  resourceLinks(POSTGRES_TYPES.epochMs),
  SUPERSEDED_JOBS,
  jobRuns(POSTGRES_TYPES),
  linksBySystem(POSTGRES_TYPES.epochMs),
  contentSeen(POSTGRES_TYPES.epochMs),
  registrySide(POSTGRES_TYPES),
  consoleSessionsAndAttempts(POSTGRES_TYPES),
  UPSTREAM_LINKS_INDEX,
  DROP_PROPAGATION_JOB_ID,
  POSTGRES_WITHOUT_ROWID,
  POSTGRES_TRANSACTION_UPDATES,
  POSTGRES_RERUN_UPDATES,
  TRANSACTION_JOBS_INDEX,
  UNSENT_UPDATES_INDEXES,
  RERUN_TRANSACTION_INDEX,
  WAITING_JOBS_INDEXES,
  POSTGRES_RESOURCE_ORDER_INDEX,
  POSTGRES_RESOURCE_WRITTEN_INDEX,
  TRANSACTION_ENTRIES,
  POSTGRES_ORDER_KEYS,
  POSTGRES_ORDER_WRITTEN_INDEX,
  FINISHED_JOBS_INDEX,
  POSTGRES_ORDER_SEQ,
  UNFINISHED_BY_SYSTEM_INDEX,
  transactionEntriesRecordedAt(POSTGRES_TYPES.epochMs),
  DROP_UNFINISHED_INDEX,
  POSTGRES_RESOURCE_ID,
  POSTGRES_REPEATED_ATTEMPTS,
  OPERATOR_RETRIES,
  POSTGRES_OPENHIM_FINAL_CALLS,
  transactionRequests(POSTGRES_TYPES.epochMs),
  POSTGRES_REQUEST_KEYS,
  POSTGRES_KEY_VALUES,
  POSTGRES_REQUESTS_APART,
  POSTGRES_FAILING_SINCE,
  POSTGRES_REQUEST_ROWS_ENSURED,
  SECONDARY_LINKS,
  POSTGRES_ATTEMPT_ENDS,
  POSTGRES_NUMBERED_KEYS,
  POSTGRES_ATTEMPT_BUDGET_KEY,
  DONE_BY_SYSTEM_INDEX,
  POSTGRES_OUTAGE_FAILED_AT,
  POSTGRES_MARKED_VALUES,
  DECIDED_IN,
  POSTGRES_ESCAPED_KEYS,
  PROPAGATION_REVISION,
  REGISTRY_UNPLANNED,
];
