import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { isDatabaseAway } from './database-away.js';
import { createIndexSql, dropIndexSql, type IndexBuild, type Migration } from './migrations.js';
import { NEWEST_UNKNOWN_SQL, newestKnownVersion, refuseNewerSchema } from './newer-schema.js';

/**
 * The PostgreSQL migration runner. Several instances share one database, and one may be upgraded
 * while others keep accepting and claiming jobs, so a migration must not stop their writes:
 *
 * - each version's `sql` runs in a transaction of its own, then its `indexes` (on tables that grow:
 *   outbox_jobs, resource_links, …) are built CONCURRENTLY, outside any transaction (the only way
 *   PostgreSQL allows it). A plain CREATE INDEX holds a SHARE lock on the table for the whole
 *   build: minutes over millions of jobs, every insert and claim waiting meanwhile.
 * - an index a version retires (`dropIndexes`) is dropped CONCURRENTLY the same way, after its
 *   builds: a plain DROP INDEX takes the table ACCESS EXCLUSIVE, behind every open transaction.
 * - the version is recorded only once its indexes are valid and those it retires gone. A build interrupted (a crash, a
 *   connection lost, a deadlock) leaves an INVALID index: the next start drops and rebuilds it. A
 *   version whose `sql` committed but whose indexes were not all built is marked in
 *   schema_migrations_building, so that `sql` is not run twice.
 * - instances starting together are serialised by a session advisory lock held through all of
 *   it (see holdMigrationLock for how it is waited for).
 * - a version's sql waits at most MIGRATION_LOCK_TIMEOUT_MS for a table lock, then gives way and
 *   is tried again (givingWay): an ALTER TABLE queued behind a long transaction never holds the
 *   running instances' writes for longer than that.
 */

/** The lock's name; hashed to the one-key advisory lock earlier versions took per transaction too. */
const MIGRATION_LOCK = 'fhir-supply-mediator:migrations';

/** How often an instance waiting for another's migration asks for the lock again. */
const LOCK_POLL_MS = 200;

/**
 * How long a migration's sql may wait for a table lock before it gives way. An ALTER TABLE waiting
 * behind a long transaction (a report, pg_dump) queues every later insert of the running instances
 * behind itself: bounded so, writers wait at most this long, then the sql is tried again.
 */
export const MIGRATION_LOCK_TIMEOUT_MS = 1_000;
/** Between two tries of a migration's sql that gave way: the long transaction may end meanwhile. */
const MIGRATION_LOCK_RETRY_MS = 1_000;
/** Tries before the start fails, naming the migration (about 20 minutes of giving way). */
const MIGRATION_LOCK_TRIES = 600;

/**
 * Migrations may legitimately run long (an index built over a large table): bounded by the
 * setTimeout maximum instead of the pool's query timeout.
 */
const MIGRATION_QUERY_TIMEOUT_MS = 2_147_483_647;

/** A statement of a migration: pg reads query_timeout per query too (lib/client.js), its types do not say so. */
function migrationQuery(text: string, values?: unknown[]): pg.QueryConfig {
  return { text, values, query_timeout: MIGRATION_QUERY_TIMEOUT_MS } as pg.QueryConfig;
}

const CREATE_TABLES = [
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  // a version whose sql committed, its concurrent index builds not yet all valid
  'CREATE TABLE IF NOT EXISTS schema_migrations_building (version INTEGER PRIMARY KEY, begun_at BIGINT NOT NULL)',
];

/** Brings the schema up to `migrations`, one connection of `pool` held (and the lock with it) throughout. */
export async function migratePostgres(pool: pg.Pool, migrations: Migration[]): Promise<void> {
  const c = await pool.connect();
  try {
    await holdMigrationLock(c);
    for (const sql of CREATE_TABLES) await c.query(sql);
    await refuseNewerThan(c, migrations);
    const applied = await versionsIn(c, 'schema_migrations');
    const begun = await versionsIn(c, 'schema_migrations_building');
    for (const m of migrations) {
      if (!applied.has(m.version)) await applyMigration(c, m, begun.has(m.version));
    }
    await c.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
    c.release();
  } catch (err) {
    // destroyed, never pooled: its session ends, and the lock and any open transaction with it
    c.release(err instanceof Error ? err : true);
    throw err;
  }
}

/**
 * Waits for the migration lock by asking again and again, never inside pg_advisory_lock: a
 * statement waiting there holds a snapshot, and CREATE INDEX CONCURRENTLY, in the instance holding
 * the lock, waits for every transaction with an older snapshot to end. The waiter would wait for
 * the build and the build for the waiter: PostgreSQL breaks that deadlock by failing the build.
 * Between two tries this session is idle, outside any transaction: nothing for a build to wait for.
 */
async function holdMigrationLock(c: pg.PoolClient): Promise<void> {
  for (;;) {
    const { rows } = await c.query('SELECT pg_try_advisory_lock(hashtext($1)) AS held', [MIGRATION_LOCK]);
    if (rows[0].held === true) return;
    await sleep(LOCK_POLL_MS);
  }
}

/**
 * A database a newer release migrated is not this release's to run on (newer-schema.ts), nor one
 * whose upgrade stopped during a version's index builds: that version's sql has committed.
 */
async function refuseNewerThan(c: pg.PoolClient, migrations: Migration[]): Promise<void> {
  const knownUpTo = newestKnownVersion(migrations);
  const { rows } = await c.query(NEWEST_UNKNOWN_SQL.replace('?', '$1'), [knownUpTo]);
  const { rows: begun } = await c.query(
    "SELECT version, 'begun by a newer release, its index builds not finished' AS name FROM schema_migrations_building WHERE version > $1 ORDER BY version DESC LIMIT 1",
    [knownUpTo],
  );
  refuseNewerSchema(rows[0] ?? begun[0], knownUpTo, 'the PostgreSQL database');
}

async function versionsIn(c: pg.PoolClient, table: string): Promise<Set<number>> {
  return new Set((await c.query(`SELECT version FROM ${table}`)).rows.map((r) => Number(r.version)));
}

/**
 * One version: its sql (unless it committed before an interruption), its indexes built, those it
 * retires dropped, then its record.
 */
async function applyMigration(c: pg.PoolClient, m: Migration, begun: boolean): Promise<void> {
  const indexes = m.indexes ?? [];
  const drops = m.dropIndexes ?? [];
  const concurrent = indexes.length + drops.length;
  if (!begun) {
    await givingWay(m, () =>
      inTransaction(c, async () => {
        await c.query(`SET LOCAL lock_timeout = ${MIGRATION_LOCK_TIMEOUT_MS}`);
        if (m.sql.trim() !== '') await c.query(migrationQuery(m.sql));
        if (concurrent === 0) await recordVersion(c, m);
        else
          await c.query('INSERT INTO schema_migrations_building (version, begun_at) VALUES ($1, $2)', [
            m.version,
            Date.now(),
          ]);
      }),
    );
    if (concurrent === 0) return;
  }
  for (const index of indexes) await buildConcurrently(c, index);
  for (const name of drops) await dropConcurrently(c, name);
  await inTransaction(c, async () => {
    await recordVersion(c, m);
    await c.query('DELETE FROM schema_migrations_building WHERE version = $1', [m.version]);
  });
}

/**
 * Runs a migration's transaction, trying it again while it gives way on a lock (SQLSTATE 55P03,
 * lock_timeout: rolled back, nothing of it applied); after MIGRATION_LOCK_TRIES the start fails
 * saying which migration waited for what.
 */
async function givingWay(m: Migration, run: () => Promise<void>): Promise<void> {
  for (let tried = 1; ; tried++) {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03') throw err;
      if (tried >= MIGRATION_LOCK_TRIES)
        throw new Error(
          `migration v${m.version} (${m.name}) could not take its table locks in ${tried} tries of ${MIGRATION_LOCK_TIMEOUT_MS} ms: a long transaction holds them (pg_stat_activity shows it); end it and start again`,
          { cause: err },
        );
      await sleep(MIGRATION_LOCK_RETRY_MS);
    }
  }
}

async function recordVersion(c: pg.PoolClient, m: Migration): Promise<void> {
  await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
    m.version,
    m.name,
    Date.now(),
  ]);
}

/**
 * Builds one index without blocking writes to its table. An index of that name already valid was
 * built before an interruption that came before its version was recorded: kept. One INVALID is
 * what an interrupted concurrent build leaves (it is maintained by every write but never read):
 * dropped, concurrently too, and built again.
 */
async function buildConcurrently(c: pg.PoolClient, index: IndexBuild): Promise<void> {
  const { rows } = await c.query(
    'SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)::oid',
    [index.name],
  );
  if (rows[0]?.valid === true) return;
  if (rows[0]) await c.query(migrationQuery(`DROP INDEX CONCURRENTLY ${index.name}`));
  await c.query(migrationQuery(createIndexSql(index, { concurrently: true })));
}

/**
 * Drops one index without blocking writes to its table: it is first marked invalid (read by no
 * new query), then each wait for the transactions using the table lets writers go on. A drop
 * interrupted part way leaves the index INVALID (or not ready, still maintained by writes): the
 * version is not recorded, and the next start drops it again, IF EXISTS covering one that went.
 */
async function dropConcurrently(c: pg.PoolClient, name: string): Promise<void> {
  await c.query(migrationQuery(dropIndexSql(name, { concurrently: true })));
}

async function inTransaction(c: pg.PoolClient, fn: () => Promise<void>): Promise<void> {
  await c.query('BEGIN');
  try {
    await fn();
    await c.query('COMMIT');
  } catch (err) {
    // a connection lost cannot answer a ROLLBACK: the caller destroys it, the server rolls back
    if (!isDatabaseAway(err)) await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
