/**
 * Versioned schema migrations, one list per engine, applied in order at start-up. A migration is
 * never edited once released: add a new version instead. Both lists must keep the same versions
 * so the two engines always hold the same logical schema.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
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

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'crosswalk, outbox, idempotency, journal, audit, schedules',
    sql: `
CREATE TABLE crosswalk (
  system TEXT NOT NULL,
  system_id TEXT NOT NULL,
  registry_id TEXT,
  state TEXT NOT NULL,
  zone TEXT NOT NULL,
  score REAL,
  reasons TEXT NOT NULL,
  suggestions TEXT NOT NULL,
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
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  result TEXT,
  error TEXT,
  last_error TEXT,
  transaction_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_jobs_due ON outbox_jobs (system, status, next_attempt_at);
CREATE INDEX outbox_jobs_key ON outbox_jobs (idempotency_key);

CREATE TABLE idempotency_keys (
  flow TEXT NOT NULL,
  system TEXT NOT NULL,
  key TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (flow, system, key)
);

CREATE TABLE step_journal (
  job_id TEXT NOT NULL,
  step TEXT NOT NULL,
  result TEXT,
  completed_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, step)
);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT,
  details TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (subject);

CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  last_run_at INTEGER,
  last_status TEXT,
  last_error TEXT
);
`,
  },
  resourceLinks('INTEGER'),
];

export const POSTGRES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'crosswalk, outbox, idempotency, journal, audit, schedules',
    sql: `
CREATE TABLE crosswalk (
  system TEXT NOT NULL,
  system_id TEXT NOT NULL,
  registry_id TEXT,
  state TEXT NOT NULL,
  zone TEXT NOT NULL,
  score DOUBLE PRECISION,
  reasons JSONB NOT NULL,
  suggestions JSONB NOT NULL,
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
  payload JSONB NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  result JSONB,
  error JSONB,
  last_error TEXT,
  transaction_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX outbox_jobs_due ON outbox_jobs (system, status, next_attempt_at);
CREATE INDEX outbox_jobs_key ON outbox_jobs (idempotency_key);

CREATE TABLE idempotency_keys (
  flow TEXT NOT NULL,
  system TEXT NOT NULL,
  key TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (flow, system, key)
);

CREATE TABLE step_journal (
  job_id TEXT NOT NULL,
  step TEXT NOT NULL,
  result JSONB,
  completed_at BIGINT NOT NULL,
  PRIMARY KEY (job_id, step)
);

CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT,
  details JSONB NOT NULL
);
CREATE INDEX audit_subject ON audit (subject);

CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  last_run_at BIGINT,
  last_status TEXT,
  last_error TEXT
);
`,
  },
  resourceLinks('BIGINT'),
];
