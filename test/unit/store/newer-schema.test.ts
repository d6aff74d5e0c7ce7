/**
 * A downgrade: a database a newer release migrated, opened by an older one (a rolled-back
 * deployment, a host left on the old image, an old CLI). The older release used to start on it
 * without a word, writing jobs without what the newer release relies on. It now refuses to start,
 * naming the database's version, its own newest and the way back, and changes nothing. Both
 * engines; the older release is this one's migration list without its newest version, and a
 * newer one is a schema_migrations row above this release's newest.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../../../src/store/index.js';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from '../../../src/store/migrations.js';
import { ConfigError } from '../../../src/config/load.js';
import { NewerSchemaError } from '../../../src/store/newer-schema.js';
import { PostgresStore } from '../../../src/store/postgres.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';

type Row = Record<string, unknown>;

/** Runs `sql` on the database itself, outside any store, and gives its rows. */
async function query(engine: EngineCase, databaseUrl: string, sql: string): Promise<Row[]> {
  if (engine.name === 'sqlite') {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    try {
      const stmt = db.prepare(sql);
      return stmt.reader ? (stmt.all() as Row[]) : (stmt.run(), []);
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

const migrationsOf = (engine: EngineCase) => (engine.name === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS);
const newest = (engine: EngineCase) => Math.max(...migrationsOf(engine).map((m) => m.version));
const applied = async (engine: EngineCase, url: string) =>
  (await query(engine, url, 'SELECT version, name FROM schema_migrations ORDER BY version')).map(
    (r) => `${Number(r.version)} ${String(r.name)}`,
  );

/** Migrates with the migration list of a release that does not know this release's newest version. */
async function migrateAsOlderRelease(engine: EngineCase, url: string): Promise<void> {
  const older = migrationsOf(engine).filter((m) => m.version < newest(engine));
  if (engine.name === 'sqlite') {
    const store = new SqliteStore(url.slice('sqlite:'.length));
    try {
      store.migrate(older);
    } finally {
      await store.close();
    }
    return;
  }
  const store = new PostgresStore(url);
  try {
    await store.migrate(older);
  } finally {
    await store.close();
  }
}

/** The refusal, as what it is: its class, not its name (tap compares t.rejects' class by name). */
async function refusal(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the start was not refused');
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: an older release refuses a database a newer one migrated`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const url = db.databaseUrl;
      const current = await openStore({ databaseUrl: url });
      await current.close();
      const before = await applied(engine, url);
      t.equal(before.length, migrationsOf(engine).length, 'this release migrated it');

      const older = await refusal(() => migrateAsOlderRelease(engine, url));
      t.ok(older instanceof NewerSchemaError, `a NewerSchemaError: ${older.message}`);
      t.ok(older instanceof ConfigError, "told as the operator's to fix, in one line, without a stack");
      const top = migrationsOf(engine).at(-1)!;
      t.match(older.message, `is at schema v${top.version} (${top.name}), migrated by a newer release`);
      // the release before knows the versions below the top one (not always top - 1: v43 follows v31)
      const known = migrationsOf(engine)
        .map((m) => m.version)
        .filter((v) => v < newest(engine));
      t.match(older.message, `knows versions up to v${Math.max(...known)}`);
      t.match(older.message, 'restore the backup taken before the upgrade');
      t.notMatch(older.message, /postgres(ql)?:\/\//, 'never the database URL (it carries the password)');
      t.same(await applied(engine, url), before, 'nothing migrated, nothing recorded');

      // a release after this one: its version and a table of its own
      const later = newest(engine) + 1;
      await query(engine, url, 'CREATE TABLE later_release_rows (id TEXT PRIMARY KEY)');
      await query(
        engine,
        url,
        `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${later}, 'a later release''s change', 1)`,
      );
      const refused = await refusal(() => openStore({ databaseUrl: url }));
      t.ok(refused instanceof NewerSchemaError, refused.message);
      t.match(refused.message, `is at schema v${later} (a later release's change)`);
      t.match(refused.message, `knows versions up to v${newest(engine)}`);
      t.same(
        (await applied(engine, url)).at(-1),
        `${later} a later release's change`,
        "the later release's record is kept",
      );
      t.same(
        await query(engine, url, 'SELECT count(*) AS n FROM later_release_rows'),
        [{ n: engine.name === 'sqlite' ? 0 : '0' }],
        'and its table',
      );
      if (engine.name === 'postgres') {
        // a newer release's start stopped during a version's concurrent index builds: its sql committed
        await query(engine, url, `DELETE FROM schema_migrations WHERE version = ${later}`);
        await query(engine, url, `INSERT INTO schema_migrations_building (version, begun_at) VALUES (${later}, 1)`);
        const begun = await refusal(() => openStore({ databaseUrl: url }));
        t.ok(begun instanceof NewerSchemaError, begun.message);
        t.match(begun.message, `is at schema v${later} (begun by a newer release, its index builds not finished)`);
      }
    },
  );
