/**
 * Migration v25 (order keys, acceptance order) on a database holding jobs from before it, SQLite
 * and (with TEST_DATABASE_URL) PostgreSQL: the jobs not yet done are keyed by their payload id, as
 * they were ordered until then, and on PostgreSQL numbered in their created_at order ahead of every
 * new job; a write of the same facility accepted after the upgrade, keyed by its record, still
 * waits for them.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, type Store } from '../../../src/store/index.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { databaseBefore } from '../../support/old-database.js';
import { newJob } from '../../support/new-job.js';

const ROWS = {
  done: `('done-1', 'facility', 'openlmis', 'k-d', 'h', '{"id":"loc-a"}', 'done', 1, 0, 500, 500)`,
  first: `('old-1', 'facility', 'openlmis', 'k-1', 'h', '{"id":"loc-a"}', 'pending', 1, 9000, 1000, 1000)`,
  second: `('old-2', 'facility', 'openlmis', 'k-2', 'h', '{"id":"loc-a"}', 'pending', 1, 1000, 2000, 2000)`,
};
const insert = (rows: string[]) => `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash,
  payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES ${rows.join(', ')}`;

const oldDatabase = (engine: EngineCase, databaseUrl: string) =>
  databaseBefore(engine, databaseUrl, 25, {
    // one process wrote them, in the order it accepted them (the rowid's order)
    sqlite: insert([ROWS.done, ROWS.first, ROWS.second]),
    // the later-created one first: the numbering must follow created_at, not the heap
    postgres: insert([ROWS.done, ROWS.second, ROWS.first]),
  });

async function orderColumns(engine: EngineCase, databaseUrl: string): Promise<Record<string, unknown>[]> {
  const sql = `SELECT id, order_key${engine.name === 'sqlite' ? '' : ', accept_seq'} FROM outbox_jobs ORDER BY id`;
  if (engine.name === 'sqlite') {
    const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    const rows = db.prepare(sql).all() as Record<string, unknown>[];
    db.close();
    return rows;
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const { rows } = await c.query(sql);
  await c.end();
  return rows.map((r) => ({ ...r, accept_seq: r.accept_seq === null ? null : Number(r.accept_seq) }));
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    await oldDatabase(engine, db.databaseUrl);
    const store: Store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    t.ok((await store.migrationVersions()).includes(25), 'v25 applied');

    await store.recordWrite(
      newJob('new-1', {
        flow: 'facility',
        payload: { id: 'loc-a' },
        orderKey: 'code|HC-1',
        createdAt: 3000,
        nextAttemptAt: 3000,
      }),
    );
    const rows = await orderColumns(engine, db.databaseUrl);
    const keys = Object.fromEntries(rows.map((r) => [r.id, r.order_key]));
    t.same(keys, { 'done-1': null, 'new-1': 'code|HC-1', 'old-1': 'loc-a', 'old-2': 'loc-a' }, 'keys');
    if (engine.name === 'postgres') {
      const seq = Object.fromEntries(rows.map((r) => [r.id, r.accept_seq]));
      t.equal(seq['done-1'], null, 'a done job is not numbered');
      t.ok(
        (seq['old-1'] as number) < (seq['old-2'] as number) && (seq['old-2'] as number) < (seq['new-1'] as number),
        `numbered in created_at order, new jobs after: ${JSON.stringify(seq)}`,
      );
    }
    t.ok(await store.waitsBehind('old-2'), 'old-2 waits for old-1');
    t.ok(await store.waitsBehind('new-1'), 'the new write, keyed by its record, waits for the old ones');
    const claim = async (now: number) =>
      (
        await store.claimJobs({
          system: 'openlmis',
          flows: ['facility'],
          inOrder: ['facility'],
          limit: 10,
          leaseOwner: 'A',
          leaseMs: 100_000,
          now,
        })
      ).map((j) => j.id);
    t.same(await claim(5000), [], 'old-1 in backoff holds the others');
    t.same(await claim(9000), ['old-1'], 'old-1 first');
  });
}
