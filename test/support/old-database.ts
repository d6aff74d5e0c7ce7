/**
 * A database as an older build left it, for the tests of a migration on both engines: the schema
 * migrated only up to the version before the one under test, and rows written the old way.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from '../../src/store/migrations.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { EngineCase } from './outbox-engines.js';

/**
 * Migrates the database of `engine` at `databaseUrl` through every migration below `version`, then
 * runs `sql` on it (the same on both engines, or one per engine where the rows' physical order matters).
 */
export async function databaseBefore(
  engine: EngineCase,
  databaseUrl: string,
  version: number,
  sql: string | { sqlite: string; postgres: string },
): Promise<void> {
  const before = <M extends { version: number }>(list: M[]) => list.filter((m) => m.version < version);
  if (engine.name === 'sqlite') {
    const file = databaseUrl.slice('sqlite:'.length);
    const old = new SqliteStore(file);
    old.migrate(before(SQLITE_MIGRATIONS));
    await old.close();
    const db = new Database(file);
    db.exec(typeof sql === 'string' ? sql : sql.sqlite);
    db.close();
    return;
  }
  const old = new PostgresStore(databaseUrl);
  await old.migrate(before(POSTGRES_MIGRATIONS));
  await old.close();
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query(typeof sql === 'string' ? sql : sql.postgres);
  await c.end();
}

/**
 * A store on a fresh database of `engine` written before migration `version` (with `sql`), opened
 * (so every migration since is applied to it), closed and dropped at the test's end; and its URL.
 */
export async function storeMigratedFrom(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  version: number,
  sql: string | { sqlite: string; postgres: string },
): Promise<{ store: Store; databaseUrl: string }> {
  const db = await engine.freshDatabase();
  t.teardown(db.drop);
  await databaseBefore(engine, db.databaseUrl, version, sql);
  const store = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(() => store.close());
  return { store, databaseUrl: db.databaseUrl };
}
