/**
 * The outbox claim on SQLite (issue 18: "claimJobs reads every job row of a system"), the query as
 * it was (one OR over statuses) beside the one now in SqliteStore (two index ranges), on the same
 * database, at 1k and 100k finished jobs with 20 due. Reported as time per claim and the ratio.
 *   npm run bench:claim -- [--done 100000]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { SqliteStore } from '../src/store/sqlite.js';
import { SQLITE_MIGRATIONS } from '../src/store/migrations.js';

const OLD_CLAIM = `SELECT id FROM outbox_jobs WHERE system = ? AND flow IN (?)
  AND ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'in-flight' AND lease_until < ?))
  ORDER BY next_attempt_at LIMIT ?`;

function seed(file: string, done: number, due: number): void {
  const store = new SqliteStore(file);
  store.migrate(SQLITE_MIGRATIONS);
  void store.close();
  const db = new Database(file);
  const insert =
    db.prepare(`INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
    next_attempt_at, created_at, updated_at) VALUES (?, 'stock', 'openlmis', ?, 'h', '{}', ?, 1, ?, 0, 0)`);
  db.transaction(() => {
    for (let i = 0; i < done; i++) insert.run(`d${i}`, `k-d${i}`, 'done', i);
    for (let i = 0; i < due; i++) insert.run(`p${i}`, `k-p${i}`, 'pending', done + i);
  })();
  db.close();
}

async function measure(done: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-claim-'));
  const file = path.join(dir, 'outbox.db');
  seed(file, done, 20);
  const db = new Database(file, { readonly: true });
  const now = Number.MAX_SAFE_INTEGER;
  const oldQuery = db.prepare(OLD_CLAIM);
  const newQuery = db.prepare(SqliteStore.claimCandidatesSql(1));
  const bench = new Bench({ time: 1000, warmupTime: 300 });
  bench
    .add('before: one OR over statuses', () => {
      oldQuery.all('openlmis', 'stock', now, now, 20);
    })
    .add('now: two index ranges', () => {
      newQuery.all('openlmis', 'stock', now, 20, 'openlmis', 'stock', now, 20, 20);
    });
  await bench.run();
  const [before, after] = bench.tasks.map((t) => t.result!.latency.mean * 1000);
  console.log(
    `${done.toLocaleString('en')} finished jobs: before ${before.toFixed(1)} µs, now ${after.toFixed(1)} µs per claim (${(before / after).toFixed(1)}× faster); same rows: ${JSON.stringify(oldQuery.all('openlmis', 'stock', now, now, 20)) === JSON.stringify(newQuery.all('openlmis', 'stock', now, 20, 'openlmis', 'stock', now, 20, 20).map((r) => ({ id: (r as { id: string }).id })))}`,
  );
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

const arg = process.argv.indexOf('--done');
for (const done of arg > 0 ? [Number(process.argv[arg + 1])] : [1_000, 100_000]) await measure(done);
