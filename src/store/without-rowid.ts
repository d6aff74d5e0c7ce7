import type { Migration } from './migrations.js';

/**
 * v15: the small-row tables a write touches become WITHOUT ROWID on SQLite (issue 18). A rowid
 * table with a PRIMARY KEY that is not an INTEGER is two B-trees, the rows by rowid and the key's
 * own index, so every insert dirtied two pages and, in WAL mode, appended two 4 KB frames to the
 * log at COMMIT. Keyed by their primary key instead, each insert is one B-tree and one page:
 * a create writes the idempotency key, the resource link, the attempt and the read-back's
 * sighting (and a multi-step delivery a journal row per step). SQLite advises WITHOUT ROWID for
 * tables whose rows are small beside a page and that have a real PRIMARY KEY
 * (https://www.sqlite.org/withoutrowid.html §4): short text keys, a hash, ids and times; a
 * journal step's result is usually a few ids (a large one spills to overflow pages either way).
 *
 * job_attempts had no key, only an index on (job_id, started_at) for a job's timeline: its key
 * is now the whole record but the detail, which also orders a timeline as it is read. Two
 * attempts of one job identical in all five (started and ended in the same milliseconds, under
 * the same attempt number, which only an operator's reset repeats) are one line of the timeline:
 * the insert keeps the first (ON CONFLICT DO NOTHING) rather than fail the job's end.
 * (That repeat was no record written twice: v63 puts the budget, `requeues`, in the key; attempt-budget-key.ts.)
 *
 * SQLite cannot change a table's storage in place, so each table is rebuilt: created under a new
 * name, filled from the old one, the old one dropped and the new one renamed, its indexes made
 * again (nothing references these tables: no foreign key, view or trigger). It runs in the
 * migration's transaction, so a crash leaves either the old tables or the new ones. PostgreSQL
 * has no rowid (its tables are heaps with a separate primary-key index either way): the same
 * version there changes nothing, so both engines keep the same logical schema.
 */
/** One table rebuilt WITHOUT ROWID: its columns (name and type), key, and what follows it. */
interface Rebuilt {
  table: string;
  columns: [name: string, type: string][];
  key: string;
  /** job_attempts gains a key it never had: rows equal in it are kept once. */
  insert?: 'INSERT' | 'INSERT OR IGNORE';
  indexes?: string[];
}

/** Created under a new name, filled from the old table (the column list named once), swapped in. */
function rebuild({ table, columns, key, insert = 'INSERT', indexes = [] }: Rebuilt): string {
  const names = columns.map(([name]) => name).join(', ');
  return [
    `CREATE TABLE ${table}_v15 (`,
    ...columns.map(([name, type]) => `  ${name} ${type},`),
    `  PRIMARY KEY (${key})`,
    ') WITHOUT ROWID;',
    `${insert} INTO ${table}_v15 (${names})`,
    `  SELECT ${names} FROM ${table};`,
    `DROP TABLE ${table};`,
    `ALTER TABLE ${table}_v15 RENAME TO ${table};`,
    ...indexes.map((index) => `${index};`),
  ].join('\n');
}

const REBUILT = `\n${[
  rebuild({
    table: 'idempotency_keys',
    columns: [
      ['flow', 'TEXT NOT NULL'],
      ['system', 'TEXT NOT NULL'],
      ['key', 'TEXT NOT NULL'],
      ['payload_hash', 'TEXT NOT NULL'],
      ['job_id', 'TEXT NOT NULL'],
      ['created_at', 'INTEGER NOT NULL'],
    ],
    key: 'flow, system, key',
  }),
  rebuild({
    table: 'resource_links',
    columns: [
      ['flow', 'TEXT NOT NULL'],
      ['fhir_id', 'TEXT NOT NULL'],
      ['system', 'TEXT NOT NULL'],
      ['upstream_id', 'TEXT'],
      ['job_id', 'TEXT'],
      ['system_of_record', 'INTEGER NOT NULL DEFAULT 1'],
      ['updated_at', 'INTEGER NOT NULL'],
    ],
    key: 'flow, fhir_id, system',
    indexes: [
      'CREATE INDEX resource_links_job ON resource_links (job_id)',
      'CREATE INDEX resource_links_upstream ON resource_links (flow, system, upstream_id)',
    ],
  }),
  rebuild({
    table: 'content_seen',
    columns: [
      ['flow', 'TEXT NOT NULL'],
      ['fhir_id', 'TEXT NOT NULL'],
      ['version', 'TEXT NOT NULL'],
      ['seen_at', 'INTEGER NOT NULL'],
    ],
    key: 'flow, fhir_id',
  }),
  rebuild({
    table: 'step_journal',
    columns: [
      ['job_id', 'TEXT NOT NULL'],
      ['step', 'TEXT NOT NULL'],
      ['result', 'TEXT'],
      ['completed_at', 'INTEGER NOT NULL'],
    ],
    key: 'job_id, step',
  }),
  rebuild({
    table: 'job_attempts',
    columns: [
      ['job_id', 'TEXT NOT NULL'],
      ['started_at', 'INTEGER NOT NULL'],
      ['ended_at', 'INTEGER NOT NULL'],
      ['attempt', 'INTEGER NOT NULL'],
      ['outcome', 'TEXT NOT NULL'],
      ['detail', 'TEXT'],
    ],
    key: 'job_id, started_at, ended_at, attempt, outcome',
    insert: 'INSERT OR IGNORE',
  }),
].join('\n\n')}\n`;

const NAME =
  'idempotency_keys, resource_links, content_seen, step_journal, job_attempts: one B-tree each (WITHOUT ROWID)';

export const SQLITE_WITHOUT_ROWID: Migration = { version: 15, name: NAME, sql: REBUILT };

/** PostgreSQL's tables have no rowid to drop: the version is recorded and nothing changes. */
export const POSTGRES_WITHOUT_ROWID: Migration = { version: 15, name: NAME, sql: 'SELECT 1;' };
