/**
 * Migration v14 drops `propagations.job_id` (never written nor read), on SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL: a database at v11 holding propagation rows, some with a job_id
 * from an old build, is migrated in place; every row and every other column survives.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, type Store } from '../../../src/store/index.js';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from '../../../src/store/migrations.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { databaseBefore } from '../../support/old-database.js';

const INSERT = `INSERT INTO propagations
  (registry_id, system, version, action, state, reason, job_id, system_id, unsupported, updated_at)
  VALUES ('R-1', 'openlmis', '3', 'update', 'done', NULL, 'job-old', 'F-1', '{"position":"no coordinates"}', 10),
         ('R-2', 'dhis2', '1', 'create', 'held', 'in review', NULL, NULL, NULL, 20)`;

/** A database at the schema before v14, with two propagation rows written the old way. */
const oldDatabase = (engine: EngineCase, databaseUrl: string) => databaseBefore(engine, databaseUrl, 14, INSERT);

async function propagationColumns(engine: EngineCase, databaseUrl: string): Promise<string[]> {
  if (engine.name === 'sqlite') {
    const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    const cols = (db.prepare('PRAGMA table_info(propagations)').all() as { name: string }[]).map((r) => r.name);
    db.close();
    return cols.sort();
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const { rows } = await c.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'propagations' ORDER BY column_name",
  );
  await c.end();
  return rows.map((r: { column_name: string }) => r.column_name);
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    await oldDatabase(engine, db.databaseUrl);
    t.ok((await propagationColumns(engine, db.databaseUrl)).includes('job_id'), 'the old schema has job_id');

    const store: Store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    const versions = await store.migrationVersions();
    const fromV14 = versions.filter((v) => v >= 14);
    t.ok(fromV14.includes(15), 'v15 is applied after it');
    t.same(
      fromV14,
      // the versions are not contiguous: each session's helpers number theirs apart (v43 after v31)
      (engine.name === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS)
        .map((m) => m.version)
        .filter((v) => v >= 14)
        .sort((a, b) => a - b),
      'v14 is applied on top of the old schema (once, recorded), and every later version after it in order',
    );
    t.same(
      await propagationColumns(engine, db.databaseUrl),
      // revision: v70 (propagation-revision.ts)
      [
        'action',
        'reason',
        'registry_id',
        'revision',
        'state',
        'system',
        'system_id',
        'unsupported',
        'updated_at',
        'version',
      ],
      'job_id is gone, every other column is kept',
    );
    const done = await store.getPropagation('R-1', 'openlmis');
    t.same(
      done,
      {
        registryId: 'R-1',
        system: 'openlmis',
        version: '3',
        action: 'update',
        state: 'done',
        systemId: 'F-1',
        unsupported: { position: 'no coordinates' },
        updatedAt: 10,
        // a row from before v70 starts at revision 0
        revision: 0,
      },
      'a row written with a job_id reads back whole, without it',
    );
    t.notOk(done && 'jobId' in done, 'no jobId on the row');
    t.same(await store.getPropagation('R-2', 'dhis2'), {
      registryId: 'R-2',
      system: 'dhis2',
      version: '1',
      action: 'create',
      state: 'held',
      reason: 'in review',
      updatedAt: 20,
      revision: 0,
    });

    await store.putPropagation({
      registryId: 'R-2',
      system: 'dhis2',
      version: '2',
      action: 'create',
      state: 'queued',
      updatedAt: 30,
    });
    t.match(
      await store.getPropagation('R-2', 'dhis2'),
      { version: '2', state: 'queued', reason: undefined },
      'rows are written on the new schema',
    );
    t.same(await store.countPropagations(), { openlmis: { done: 1 }, dhis2: { queued: 1 } });
  });
}
