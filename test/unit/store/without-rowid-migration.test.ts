/**
 * Migration v15 rebuilds idempotency_keys, resource_links, content_seen, step_journal and
 * job_attempts WITHOUT ROWID on SQLite (one B-tree per table, so one page per insert) and changes
 * nothing on PostgreSQL (with TEST_DATABASE_URL). A database at v14 holding rows in all five is
 * migrated in place: every row reads back through the store as before, a key recorded before
 * still deduplicates, and new rows are written on the new tables.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, type NewJob, type Store } from '../../../src/store/index.js';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from '../../../src/store/migrations.js';
import { PostgresStore } from '../../../src/store/postgres.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';

const before = <M extends { version: number }>(list: M[]) => list.filter((m) => m.version < 15);
const TABLES = ['content_seen', 'idempotency_keys', 'job_attempts', 'resource_links', 'step_journal'];

function job(id: string, key: string, payload: unknown): NewJob {
  return {
    id,
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: key,
    payloadHash: `hash-of-${key}`,
    payload,
    status: 'in-flight',
    attempts: 1,
    nextAttemptAt: 100,
    leaseOwner: 'me',
    leaseUntil: 10_000,
    createdAt: 100,
  };
}

/** The old schema, with a delivered write (key, link, attempt, journal step) and a sighting. */
async function oldDatabase(engine: EngineCase, databaseUrl: string): Promise<void> {
  const old =
    engine.name === 'sqlite' ? new SqliteStore(databaseUrl.slice('sqlite:'.length)) : new PostgresStore(databaseUrl);
  if (old instanceof SqliteStore) old.migrate(before(SQLITE_MIGRATIONS));
  else await old.migrate(before(POSTGRES_MIGRATIONS));
  // today's store writes a job's order key (v25): the column is there while it writes the old rows
  await alterJobs(engine, databaseUrl, 'ADD COLUMN order_key TEXT');
  // and, on SQLite, its payload id (v43)
  if (engine.name === 'sqlite') await alterJobs(engine, databaseUrl, 'ADD COLUMN resource_id');
  // and its lease holder's attempt end (v61)
  await alterJobs(engine, databaseUrl, 'ADD COLUMN attempt_ends_at BIGINT');
  // and the budget an attempt ran in, at a job's end too (v63's key)
  await alterJobs(engine, databaseUrl, 'ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0', 'job_attempts');
  await old.recordWrites(
    [job('job-1', 'ORD-1', { orderNumber: 'ORD-1', lines: [1, 2] })],
    [{ flow: 'orders', fhirId: 'sr-1', system: 'openlmis', jobId: 'job-1' }],
  );
  await old.putStep('job-1', 'initiate', { requisitionId: 'req-9' }, 150);
  await old.finishJob(
    'job-1',
    'me',
    { status: 'done', result: { system: 'openlmis', ids: { requisition: 'req-9' } } },
    200,
    {
      jobId: 'job-1',
      startedAt: 120,
      endedAt: 200,
      attempt: 1,
      outcome: 'done',
    },
  );
  await old.putLinks([{ flow: 'orders', fhirId: 'sr-1', system: 'openlmis', upstreamId: 'req-9', jobId: 'job-1' }]);
  await old.firstSeen('orders', [{ fhirId: 'sr-1', version: 'v-1' }], 300);
  await old.close();
  await alterJobs(engine, databaseUrl, 'DROP COLUMN order_key');
  if (engine.name === 'sqlite') await alterJobs(engine, databaseUrl, 'DROP COLUMN resource_id');
  await alterJobs(engine, databaseUrl, 'DROP COLUMN attempt_ends_at');
  await alterJobs(engine, databaseUrl, 'DROP COLUMN requeues', 'job_attempts');
}

async function alterJobs(
  engine: EngineCase,
  databaseUrl: string,
  change: string,
  table = 'outbox_jobs',
): Promise<void> {
  const sql = `ALTER TABLE ${table} ${change}`;
  if (engine.name === 'sqlite') {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    db.exec(sql);
    db.close();
    return;
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query(sql);
  await c.end();
}

/** Per table: WITHOUT ROWID, and whether SQLite made a separate index for its primary key. */
function sqliteStorage(file: string): Record<string, { withoutRowid: boolean; keyIndex: boolean }> {
  const db = new Database(file, { readonly: true });
  try {
    const out: Record<string, { withoutRowid: boolean; keyIndex: boolean }> = {};
    for (const name of TABLES) {
      const { sql } = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as {
        sql: string;
      };
      const autoIndex = db
        .prepare(
          "SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name LIKE 'sqlite_autoindex_%'",
        )
        .get(name) as { n: number };
      out[name] = { withoutRowid: /WITHOUT ROWID\s*$/i.test(sql), keyIndex: autoIndex.n > 0 };
    }
    return out;
  } finally {
    db.close();
  }
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    await oldDatabase(engine, db.databaseUrl);
    const file = db.databaseUrl.slice('sqlite:'.length);
    if (engine.name === 'sqlite')
      t.same(
        Object.values(sqliteStorage(file)),
        TABLES.map((_, i) => ({ withoutRowid: false, keyIndex: TABLES[i] !== 'job_attempts' })),
        'before v15: rowid tables, each keyed one with a second B-tree for its key',
      );

    const store: Store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    const versions = await store.migrationVersions();
    // later versions follow; v15 itself comes right after v14
    const at = versions.indexOf(14);
    t.same(versions.slice(at, at + 2), [14, 15], 'v15 is applied on top of v14 (once, recorded)');
    if (engine.name === 'sqlite')
      t.same(
        Object.values(sqliteStorage(file)),
        TABLES.map(() => ({ withoutRowid: true, keyIndex: false })),
        'after v15: each table is one B-tree keyed by its primary key',
      );

    t.match(
      await store.getLink('orders', 'sr-1'),
      { flow: 'orders', fhirId: 'sr-1', system: 'openlmis', upstreamId: 'req-9', jobId: 'job-1' },
      'the link survives',
    );
    t.same(
      (await store.linksToUpstream('orders', 'openlmis', ['req-9'])).map((l) => l.fhirId),
      ['sr-1'],
      'the link is found from its upstream object (its index was made again)',
    );
    t.same(
      await store.listSteps('job-1'),
      [{ jobId: 'job-1', step: 'initiate', result: { requisitionId: 'req-9' }, completedAt: 150 }],
      'the journal step survives',
    );
    t.same(
      await store.listJobAttempts('job-1'),
      [{ jobId: 'job-1', startedAt: 120, endedAt: 200, attempt: 1, outcome: 'done' }],
      'the attempt survives',
    );
    t.same(
      [...(await store.firstSeen('orders', [{ fhirId: 'sr-1', version: 'v-1' }], 999))],
      [['sr-1', 300]],
      'the sighting survives: the same version keeps its first time',
    );

    const again = await store.recordWrites([job('job-2', 'ORD-1', { orderNumber: 'ORD-1', lines: [1, 2] })], []);
    t.match(
      again,
      [{ created: false, job: { id: 'job-1', status: 'done' } }],
      'a key recorded before v15 still deduplicates',
    );
    const fresh = await store.recordWrites(
      [job('job-3', 'ORD-3', { orderNumber: 'ORD-3' })],
      [{ flow: 'orders', fhirId: 'sr-3', system: 'openlmis', jobId: 'job-3' }],
    );
    t.match(fresh, [{ created: true, job: { id: 'job-3' } }], 'a new key is recorded');
    t.same(await store.putStep('job-3', 'initiate', { requisitionId: 'req-10' }, 400), { requisitionId: 'req-10' });
    t.same(
      await store.putStep('job-3', 'initiate', { requisitionId: 'other' }, 401),
      { requisitionId: 'req-10' },
      'a step journaled twice keeps its first result',
    );
    const attempt = {
      jobId: 'job-3',
      startedAt: 410,
      endedAt: 420,
      attempt: 1,
      outcome: 'retry' as const,
      detail: 'HTTP 503',
    };
    await store.appendJobAttempt(attempt);
    await store.appendJobAttempt({
      ...attempt,
      startedAt: 430,
      endedAt: 440,
      attempt: 2,
      outcome: 'done',
      detail: undefined,
    });
    t.same(
      (await store.listJobAttempts('job-3')).map((a) => [a.startedAt, a.attempt, a.outcome, a.detail]),
      [
        [410, 1, 'retry', 'HTTP 503'],
        [430, 2, 'done', undefined],
      ],
      "a job's attempts read back in the order they started",
    );
    t.match(await store.getLink('orders', 'sr-3'), { jobId: 'job-3' }, 'a new link is written');
    const seen = await store.firstSeen('orders', [{ fhirId: 'sr-1', version: 'v-2' }], 500);
    t.same([...seen], [['sr-1', 500]], 'a new version of a seen resource is recorded');
  });
}

t.test('sqlite: an attempt recorded twice identically is kept once, and the job still ends', async (t) => {
  const engine = engineCases().find((e) => e.name === 'sqlite')!;
  const db = await engine.freshDatabase();
  t.teardown(db.drop);
  const store = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(() => store.close());
  await store.recordWrites([job('job-1', 'ORD-1', {})], []);
  const attempt = { jobId: 'job-1', startedAt: 120, endedAt: 130, attempt: 1, outcome: 'done' as const };
  await store.appendJobAttempt(attempt);
  t.ok(
    await store.finishJob(
      'job-1',
      'me',
      { status: 'done', result: { system: 'openlmis', ids: { r: '1' } } },
      130,
      attempt,
    ),
    'the end with an identical attempt record is recorded',
  );
  t.match(await store.getJob('job-1'), { status: 'done' });
  t.same((await store.listJobAttempts('job-1')).length, 1, 'one line in the timeline');
});
