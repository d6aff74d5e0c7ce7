/**
 * The count of OpenHIM transaction updates not sent (Store.countTransactionUpdates, read at every
 * /metrics scrape and console outbox page), at 100k jobs of which a hundred owe or gave up an
 * update: without the v19 indexes (as before) and with them, on the same SQLite database, with
 * the query plan of each. Reported as time per count.
 *   npx tsx bench/openhim-update-counts.ts [--jobs 100000]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { SqliteStore } from '../src/store/sqlite.js';
import { SQLITE_MIGRATIONS } from '../src/store/migrations.js';
import { UPDATE_COUNTS_SQL } from '../src/store/transaction-updates.js';

/** Most jobs sent their update or never owed one; a few owe one, were refused or abandoned. */
function updateOf(i: number): string | null {
  if (i % 1000 === 0) return 'owed';
  if (i % 1000 === 1) return 'refused';
  if (i % 1000 === 2) return 'abandoned';
  return i % 2 ? 'sent' : null;
}

function seed(file: string, jobs: number): void {
  const store = new SqliteStore(file);
  store.migrate(SQLITE_MIGRATIONS);
  void store.close();
  const db = new Database(file);
  const job = db.prepare(`INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status,
    attempts, next_attempt_at, created_at, updated_at, transaction_id, openhim_update) VALUES
    (?, 'stock', 'openlmis', ?, 'h', '{}', 'done', 1, 0, ?, ?, ?, ?)`);
  const rerun = db.prepare(`INSERT INTO openhim_rerun_updates (job_id, transaction_id, state, due, created_at)
    VALUES (?, ?, ?, 0, 0)`);
  db.transaction(() => {
    for (let i = 0; i < jobs; i++) {
      job.run(`j${i}`, `k${i}`, i, i, `tx${i}`, updateOf(i));
      if (i % 20 === 0) rerun.run(`j${i}`, `rerun${i}`, i % 2000 === 0 ? 'owed' : 'sent');
    }
  })();
  db.close();
}

const plan = (db: Database.Database) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${UPDATE_COUNTS_SQL}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');

async function measure(jobs: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-update-counts-'));
  const file = path.join(dir, 'outbox.db');
  seed(file, jobs);
  const db = new Database(file);
  const timeOf = async (query: Database.Statement) => {
    const bench = new Bench({ time: 1000, warmupTime: 200 });
    bench.add('count', () => query.all());
    await bench.run();
    return bench.tasks[0].result!.latency.mean * 1000;
  };
  const query = db.prepare(UPDATE_COUNTS_SQL);
  const now = await timeOf(query);
  const nowPlan = plan(db);
  const rows = JSON.stringify(query.all());
  db.exec('DROP INDEX outbox_jobs_openhim_unsent; DROP INDEX openhim_rerun_updates_unsent');
  const beforeQuery = db.prepare(UPDATE_COUNTS_SQL);
  const before = await timeOf(beforeQuery);
  console.log(
    `${jobs.toLocaleString('en')} jobs: before ${before.toFixed(0)} µs, now ${now.toFixed(0)} µs per count (${(before / now).toFixed(0)}× faster); same rows: ${rows === JSON.stringify(beforeQuery.all())}`,
  );
  console.log(`  before: ${plan(db)}`);
  console.log(`  now:    ${nowPlan}`);
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

const arg = process.argv.indexOf('--jobs');
await measure(arg > 0 ? Number(process.argv[arg + 1]) : 100_000);
