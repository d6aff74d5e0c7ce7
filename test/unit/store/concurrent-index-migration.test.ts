/**
 * Migrations and writers of other instances (PostgreSQL, with TEST_DATABASE_URL; the declaration
 * check runs on both lists always). An upgrade from an old version builds its indexes on growing
 * tables concurrently: an instance still running keeps inserting jobs throughout, each build
 * waiting for writers instead of writers waiting for the build. A build interrupted leaves an
 * INVALID index, which the next start drops and builds again, recording the version only then.
 * Two instances migrating at once end with one schema.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../../../src/store/index.js';
import { PostgresStore } from '../../../src/store/postgres.js';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, type Migration } from '../../../src/store/migrations.js';
import { engineCases } from '../../support/outbox-engines.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;
const upTo = (version: number) => POSTGRES_MIGRATIONS.filter((m) => m.version <= version);
const ALL_VERSIONS = POSTGRES_MIGRATIONS.map((m) => m.version);

/** The tables a migration's sql creates (a rename of one it created is that table too). */
function tablesCreatedBy(sql: string): Set<string> {
  const created = new Set([...sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]));
  for (const [, from, to] of sql.matchAll(/ALTER TABLE (\w+) RENAME TO (\w+)/gi))
    if (created.has(from)) created.add(to);
  return created;
}

t.test('an index on a table a migration does not create is declared in its indexes, not its sql', async (t) => {
  for (const [engine, list] of [
    ['sqlite', SQLITE_MIGRATIONS],
    ['postgres', POSTGRES_MIGRATIONS],
  ] as const) {
    for (const m of list) {
      const created = tablesCreatedBy(m.sql);
      const inSql = [...m.sql.matchAll(/CREATE (?:UNIQUE )?INDEX (\w+) ON (\w+)/gi)].filter(
        ([, , table]) => !created.has(table),
      );
      t.same(
        inSql.map(([, name, table]) => `${name} ON ${table}`),
        [],
        `${engine} v${m.version}: built in the transaction, on a table that may hold millions of rows`,
      );
    }
  }
});

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  // the test's database is dropped WITH (FORCE) at its end, which ends this session too
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function backendPid(c: pg.Client): Promise<number> {
  return Number((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
}

/**
 * Another instance writing: one transaction at a time kept open, each inserting a job and, once
 * their tables exist, a link, a rerun debt and an entry map row, so an index build on any of them
 * must wait for it.
 */
class Writer {
  private static count = 0;
  constructor(readonly connection: pg.Client) {}

  /** BEGIN and insert, giving up on a lock after `lockTimeoutMs` (0: wait without end). */
  async open(lockTimeoutMs: number): Promise<void> {
    const c = this.connection;
    const id = `w-${++Writer.count}`;
    const present = async (table: string) =>
      (await c.query('SELECT to_regclass($1) IS NOT NULL AS present', [table])).rows[0].present as boolean;
    const entries = await present('openhim_transaction_entries');
    const rerun = await present('openhim_rerun_updates');
    await c.query('BEGIN');
    await c.query(`SET LOCAL lock_timeout = ${lockTimeoutMs}`);
    // every table taken in one statement, in the inserts' order: a writer queued behind a schema
    // change (v30's ALTER of the entries) holds them all the moment it commits, server-side. Taken
    // insert by insert, the next version's step (v31's drop on outbox_jobs) could run between two
    // of them on a loaded host, find no writer on its table, and never wait (2 of 6 runs)
    const tables = [
      ...(entries ? ['openhim_transaction_entries'] : []),
      'outbox_jobs',
      'resource_links',
      ...(rerun ? ['openhim_rerun_updates'] : []),
    ];
    await c.query(`LOCK TABLE ${tables.join(', ')} IN ROW EXCLUSIVE MODE`);
    if (entries) {
      await c.query(
        `INSERT INTO openhim_transaction_entries (transaction_id, entry, entries, answer) VALUES ($1, 0, 1, '{}')`,
        [id],
      );
    }
    await c.query(
      `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, next_attempt_at, created_at, updated_at)
       VALUES ($1, 'facility', 'openlmis', $1, 'h', '{"id":"loc"}', 'pending', 0, 0, 0)`,
      [id],
    );
    await c.query(
      `INSERT INTO resource_links (flow, fhir_id, system, upstream_id, job_id, updated_at) VALUES ('facility', $1, 'openlmis', $1, $1, 0)`,
      [id],
    );
    if (rerun) {
      await c.query(
        `INSERT INTO openhim_rerun_updates (job_id, transaction_id, state, due, created_at) VALUES ($1, $1, 'owed', 0, 0)`,
        [id],
      );
    }
  }

  async commit(): Promise<void> {
    await this.connection.query('COMMIT');
  }
}

/** What the migration's session waits on a lock for, if it does (polled until it does or `settled`). */
async function migrationWaiting(admin: pg.Client, ours: number[], settled: () => boolean): Promise<string | undefined> {
  while (!settled()) {
    const { rows } = await admin.query(
      `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
         AND pid <> ALL($1::int[])`,
      [ours],
    );
    if (rows.length) return String(rows[0].query);
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** Until `pid` waits for a lock it asked for, or `opened` has settled (it needed none). */
async function queuedOrDone(admin: pg.Client, pid: number, opened: Promise<void>): Promise<void> {
  let done = false;
  opened.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    const { rows } = await admin.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [pid]);
    if (rows.length) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Observed {
  /** Index builds seen waiting for a writer, while another writer's insert went through at once. */
  builds: Set<string>;
  /** Index drops seen so, likewise. */
  drops: Set<string>;
  /** Inserts refused while a build waited (a lock timed out): there must be none. */
  blocked: string[];
}

/**
 * Runs `migrate` while writers take turns keeping a transaction open. Each time the migration
 * waits for the open one: an index build must let a second writer insert at once (a short
 * lock_timeout); a schema change (ALTER TABLE) takes the table for a moment, so the second writer
 * waits for it. Then the first commits, and so on until the migration ends. A wait `held` keeps
 * the open writer open until the migration ends (killed in it): rotating would end that wait at once.
 */
async function migrateUnderWrites(
  databaseUrl: string,
  migrate: () => Promise<void>,
  held: (query: string) => boolean = () => false,
): Promise<Observed> {
  const admin = await client(databaseUrl);
  const writers = [new Writer(await client(databaseUrl)), new Writer(await client(databaseUrl))];
  const ours = await Promise.all([admin, ...writers.map((w) => w.connection)].map(backendPid));
  const observed: Observed = { builds: new Set(), drops: new Set(), blocked: [] };
  try {
    let open = 0;
    await writers[open].open(0);
    let settled = false;
    const migration = migrate().finally(() => (settled = true));
    migration.catch(() => undefined);
    for (;;) {
      const query = await migrationWaiting(admin, ours, () => settled);
      if (query === undefined) break;
      if (held(query)) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      const next = 1 - open;
      const [, verb, build] = /(CREATE|DROP) INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?(\w+)/.exec(query) ?? [];
      if (build && !/ALTER TABLE/i.test(query)) {
        observed[verb === 'DROP' ? 'drops' : 'builds'].add(build);
        try {
          // a build that held inserts back would keep this one waiting until the timeout: the build
          // cannot end while writers[open] is open. 5 s, not 1: on a loaded CI host a legitimate
          // insert has been seen to take over a second (a flake, not a block)
          await writers[next].open(5000);
        } catch (err) {
          observed.blocked.push(`${build}: ${(err as Error).message}`);
          await writers[next].connection.query('ROLLBACK');
          break;
        }
        await writers[open].commit();
      } else {
        const waiting = writers[next].open(0);
        // the next writer's lock asked for before the open one commits: asked after, the schema
        // change could commit and the next version's index build start before any writer held the
        // table again, and that build would then wait for no writer (v61's ALTER, then v62's build)
        await queuedOrDone(admin, ours[next + 1], waiting);
        await writers[open].commit();
        await waiting;
      }
      open = next;
    }
    await writers[open].commit().catch(() => undefined);
    await migration;
    return observed;
  } finally {
    for (const c of [admin, ...writers.map((w) => w.connection)]) await c.end().catch(() => undefined);
  }
}

/**
 * Runs `store`'s migration under writes (migrateUnderWrites) and kills its session once it waits
 * for a writer in a statement LIKE `statement`: rejects with the termination, or, if no such wait
 * is seen within 90 s (a loaded CI host migrates slowly), saying so.
 */
function migrationKilledWhile(
  databaseUrl: string,
  admin: pg.Client,
  store: PostgresStore,
  statement: string,
): Promise<Observed> {
  // the writers are not rotated while the migration waits there: under load the rotation could
  // end each such wait before the poll below saw it, and the build went on to finish (1 of 3 runs)
  const waitingThere = (query: string) => query.startsWith(statement.replace(/%$/, ''));
  return migrateUnderWrites(
    databaseUrl,
    async () => {
      const migration = store.migrate();
      // its failure may arrive before the terminating query's answer: handled from now on (awaited below)
      migration.catch(() => undefined);
      for (const deadline = Date.now() + 90_000; ;) {
        if (Date.now() > deadline) throw new Error(`no migration seen waiting in ${statement}`);
        const { rows } = await admin.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
           AND query LIKE $1`,
          [statement],
        );
        if (rows.length) {
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      await migration;
    },
    waitingThere,
  );
}

/** Every index of the schema with its validity. */
async function indexValidity(databaseUrl: string): Promise<Record<string, boolean>> {
  const c = await client(databaseUrl);
  try {
    const { rows } = await c.query(
      `SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
    );
    return Object.fromEntries(rows.map((r) => [r.relname, r.indisvalid]));
  } finally {
    await c.end();
  }
}

const declaredIndexes = (list: Migration[]) => list.flatMap((m) => (m.indexes ?? []).map((i) => i.name));
const droppedIndexes = (list: Migration[]) => list.flatMap((m) => m.dropIndexes ?? []);
/** The indexes the list leaves: those built less those a later version drops. */
const liveIndexes = (list: Migration[]) => declaredIndexes(list).filter((n) => !droppedIndexes(list).includes(n));

/**
 * The indexes a writer can be seen holding back: not one on a table its own migration's sql alters
 * (v30). The ALTER waits for the open writer and the writer's next insert for the ALTER, so the
 * build that follows may start before any writer holds the table again, and need not wait at all.
 */
const heldBackIndexes = (list: Migration[]) =>
  list.flatMap((m) =>
    (m.indexes ?? [])
      .filter((i) => !new RegExp(`ALTER TABLE ${i.on.split(/\s/)[0]}\\b`, 'i').test(m.sql))
      .map((i) => i.name),
  );

for (const engine of engineCases()) {
  t.test(`${engine.name}: a fresh database holds every declared index`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    await store.close();
    const list = engine.name === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
    const names =
      engine.name === 'sqlite' ? sqliteIndexes(db.databaseUrl) : Object.keys(await indexValidity(db.databaseUrl));
    t.same(
      liveIndexes(list).filter((name) => !names.includes(name)),
      [],
      'none missing',
    );
    t.same(
      droppedIndexes(list).filter((name) => names.includes(name)),
      [],
      'none dropped left',
    );
  });
}

function sqliteIndexes(databaseUrl: string): string[] {
  const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map(
      (r) => r.name,
    );
  } finally {
    db.close();
  }
}

t.test('postgres', { skip: postgres.skip }, async (t) => {
  t.test('an upgrade from v12 builds every index while other instances keep writing', async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const old = new PostgresStore(db.databaseUrl);
    await old.migrate(upTo(12));
    await old.close();

    const store = new PostgresStore(db.databaseUrl);
    t.teardown(() => store.close());
    const observed = await migrateUnderWrites(db.databaseUrl, () => store.migrate());
    t.same(observed.blocked, [], 'no insert waited for an index build');
    const upgraded = POSTGRES_MIGRATIONS.filter((m) => m.version > 12);
    t.same(
      heldBackIndexes(upgraded).filter((name) => !observed.builds.has(name)),
      [],
      'each index was built while a writer held its table, and another wrote meanwhile',
    );
    t.same(
      [...observed.builds].filter((name) => !declaredIndexes(upgraded).includes(name)),
      [],
      'only declared indexes were built',
    );
    t.same([...observed.drops], droppedIndexes(upgraded), 'each drop waited for a writer while another wrote');
    t.same(await store.migrationVersions(), ALL_VERSIONS, 'every version recorded once');
    const validity = await indexValidity(db.databaseUrl);
    t.same(
      Object.entries(validity).filter(([, valid]) => !valid),
      [],
      'every index valid',
    );
    t.ok(validity.outbox_jobs_order_written, 'the last index built');
  });

  t.test('a build interrupted leaves an INVALID index: the next start builds it again', async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const old = new PostgresStore(db.databaseUrl);
    await old.migrate(upTo(24));
    await old.close();

    // v25's build is killed while it waits for a writer: its sql (order_key) has committed
    const first = new PostgresStore(db.databaseUrl);
    const admin = await client(db.databaseUrl);
    t.teardown(() => admin.end());
    const killed = migrationKilledWhile(
      db.databaseUrl,
      admin,
      first,
      'CREATE INDEX CONCURRENTLY outbox_jobs_order_waiting ON %',
    );
    await t.rejects(killed, /terminat/, 'the first start fails');
    await first.close();
    t.equal((await indexValidity(db.databaseUrl)).outbox_jobs_order_waiting, false, 'left INVALID');
    const { rows } = await admin.query('SELECT version FROM schema_migrations WHERE version >= 25');
    t.same(rows, [], 'v25 not recorded');

    const second = new PostgresStore(db.databaseUrl);
    t.teardown(() => second.close());
    await second.migrate();
    t.same(await second.migrationVersions(), ALL_VERSIONS, 'v25 (its sql not run twice) and v26 recorded');
    t.equal((await indexValidity(db.databaseUrl)).outbox_jobs_order_waiting, true, 'built again, valid');
  });

  t.test('an INVALID index of a version to apply is dropped and built as declared', async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const old = new PostgresStore(db.databaseUrl);
    await old.migrate(upTo(20));
    await old.close();
    const c = await client(db.databaseUrl);
    t.teardown(() => c.end());
    await c.query(`INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status,
      next_attempt_at, created_at, updated_at) VALUES
      ('a', 'facility', 'openlmis', 'a', 'h', '{}', 'done', 0, 0, 0), ('b', 'facility', 'openlmis', 'b', 'h', '{}', 'done', 0, 0, 0)`);
    // a concurrent build that failed (here on a duplicate) leaves its index behind, INVALID
    await t.rejects(
      c.query('CREATE UNIQUE INDEX CONCURRENTLY outbox_jobs_unfinished ON outbox_jobs (flow)'),
      /could not create unique index/,
    );
    t.equal((await indexValidity(db.databaseUrl)).outbox_jobs_unfinished, false, 'an INVALID index under v21 name');

    const store = new PostgresStore(db.databaseUrl);
    t.teardown(() => store.close());
    // up to v30: v31 drops this index
    await store.migrate(upTo(30));
    t.same(
      await store.migrationVersions(),
      upTo(30).map((m) => m.version),
    );
    const { rows } = await c.query("SELECT pg_get_indexdef('outbox_jobs_unfinished'::regclass) AS def");
    t.equal(
      rows[0].def,
      "CREATE INDEX outbox_jobs_unfinished ON public.outbox_jobs USING btree (status) WHERE (status <> 'done'::text)",
      'v21 index as declared',
    );
    t.equal((await indexValidity(db.databaseUrl)).outbox_jobs_unfinished, true, 'valid');
  });

  t.test('a drop interrupted leaves the index INVALID: the next start drops it', async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const old = new PostgresStore(db.databaseUrl);
    await old.migrate(upTo(30));
    await old.close();

    // v31's drop is killed while it waits for a writer, after it marked the index invalid
    const first = new PostgresStore(db.databaseUrl);
    const admin = await client(db.databaseUrl);
    t.teardown(() => admin.end());
    const killed = migrationKilledWhile(
      db.databaseUrl,
      admin,
      first,
      'DROP INDEX CONCURRENTLY IF EXISTS outbox_jobs_unfinished',
    );
    await t.rejects(killed, /terminat/, 'the first start fails, its drop killed while it waited for a writer');
    await first.close();
    t.equal((await indexValidity(db.databaseUrl)).outbox_jobs_unfinished, false, 'left INVALID');
    const { rows } = await admin.query('SELECT version FROM schema_migrations WHERE version >= 31');
    t.same(rows, [], 'v31 not recorded');

    const second = new PostgresStore(db.databaseUrl);
    t.teardown(() => second.close());
    await second.migrate();
    t.same(await second.migrationVersions(), ALL_VERSIONS, 'v31 recorded');
    t.notOk('outbox_jobs_unfinished' in (await indexValidity(db.databaseUrl)), 'dropped');
    await second.migrate();
    t.same(await second.migrationVersions(), ALL_VERSIONS, 'a start after it changes nothing');
  });

  t.test('an ALTER TABLE behind a long transaction gives way: later writes are not queued behind it', async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const old = new PostgresStore(db.databaseUrl);
    await old.migrate(upTo(29));
    await old.close();

    // a report (or pg_dump) reading the table, its transaction left open
    const long = await client(db.databaseUrl);
    t.teardown(() => long.end());
    await long.query('BEGIN');
    await long.query('SELECT count(*) FROM openhim_transaction_entries');

    const store = new PostgresStore(db.databaseUrl);
    t.teardown(() => store.close());
    const migration = store.migrate();
    migration.catch(() => undefined);
    const admin = await client(db.databaseUrl);
    t.teardown(() => admin.end());
    for (const deadline = Date.now() + 90_000; ;) {
      if (Date.now() > deadline) throw new Error("v30's ALTER TABLE never waited for the open transaction");
      const { rows } = await admin.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
           AND query LIKE 'ALTER TABLE openhim_transaction_entries%'`,
      );
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }

    // a running instance's write to the table: queued behind the ALTER it would wait for the report
    const writer = await client(db.databaseUrl);
    t.teardown(() => writer.end());
    await writer.query('BEGIN');
    await writer.query('SET LOCAL lock_timeout = 3000');
    const wrote = await writer
      .query(
        `INSERT INTO openhim_transaction_entries (transaction_id, entry, entries, answer) VALUES ('w', 0, 1, '{}')`,
      )
      .then(
        () => 'written',
        (err: Error) => err.message,
      );
    await writer.query(wrote === 'written' ? 'COMMIT' : 'ROLLBACK');
    t.equal(wrote, 'written', 'the write went through while the migration waited (it gave way within 1 s)');

    await long.query('COMMIT');
    await migration;
    t.same(await store.migrationVersions(), ALL_VERSIONS, 'v30 applied once the report ended');
  });

  t.test('two instances migrating at once, a writer holding the builds back: one schema', async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const old = new PostgresStore(db.databaseUrl);
    await old.migrate(upTo(12));
    await old.close();
    const [a, b] = [new PostgresStore(db.databaseUrl), new PostgresStore(db.databaseUrl)];
    t.teardown(() => Promise.all([a.close(), b.close()]));
    // while the first builds (waiting for the writers), the second waits for the migration lock
    const observed = await migrateUnderWrites(db.databaseUrl, async () => {
      await Promise.all([a.migrate(), new Promise((r) => setTimeout(r, 50)).then(() => b.migrate())]);
    });
    t.same(observed.blocked, [], 'no insert waited for an index build');
    t.same(await a.migrationVersions(), ALL_VERSIONS, 'every version once');
    t.same(
      Object.entries(await indexValidity(db.databaseUrl)).filter(([, valid]) => !valid),
      [],
      'every index valid',
    );
  });
});
