/**
 * The plan a store engine makes for a query, for tests that check an index answers it (plans,
 * not timings). SQLite: EXPLAIN QUERY PLAN's details. PostgreSQL: EXPLAIN with scans of the whole
 * table priced out, since a test table of a few rows is read whole whatever its indexes: the
 * question is whether an index can answer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite.js';

/** The plan of `sql` on the database at `databaseUrl` (`sqlite:` file or PostgreSQL), one line a step. */
export async function queryPlan(databaseUrl: string, sql: string): Promise<string> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    try {
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('\n');
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const { rows } = await client.query(`EXPLAIN ${sql}`);
    return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

/**
 * SQLite's plan of a query with its parameters, one detail a step, on a database file migrated to
 * the newest schema (no rows): open read-only for the test, then removed.
 */
export async function sqlitePlanner(t: {
  teardown(fn: () => unknown): void;
}): Promise<(sql: string, ...args: unknown[]) => string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'query-plan-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mediator.db');
  const store = new SqliteStore(file);
  store.migrate(SQLITE_MIGRATIONS);
  await store.close();
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  return (sql, ...args) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
}
