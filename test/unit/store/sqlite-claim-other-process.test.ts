/**
 * A SQLite claim reads the due jobs, then takes them in a write of its own. Another process on
 * the file (a second server started by mistake, before sqlite-owner.ts refused one) can take a
 * job between the two: the claim must then leave it, or both processes deliver it (a second
 * requisition, a second stock event). A real second process holds the write lock with its own
 * claim of the job while this one reads it as due. SQLite only: PostgreSQL claims with
 * FOR UPDATE SKIP LOCKED inside one statement (postgres-instances.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { newJob } from '../../support/new-job.js';

const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');

t.test('a job another process claimed meanwhile is not claimed again', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'claim-other-'));
  const file = path.join(dir, 'mediator.db');
  const store = new SqliteStore(file);
  store.migrate();
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await store.recordWrite(newJob('J1', { nextAttemptAt: 1_000 }));

  // the other server: its claim of J1 made and not yet committed, for 600 ms
  const other = spawn(
    process.execPath,
    [
      '-e',
      `const D = require(${JSON.stringify(betterSqlite)}); const db = new D(${JSON.stringify(file)});
       db.exec('BEGIN IMMEDIATE');
       db.prepare("UPDATE outbox_jobs SET status = 'in-flight', lease_owner = 'other-server', lease_until = 999999, attempts = attempts + 1 WHERE id = 'J1'").run();
       console.log('claimed'); setTimeout(() => { db.exec('COMMIT'); process.exit(0); }, 600);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => other.once('exit', r));
  await new Promise<void>((r) => other.stdout!.once('data', () => r()));

  // J1 still reads as due here (the other claim is not committed); the write waits for the lock
  const claimed = await store.claimJobs({
    system: 'openlmis',
    flows: ['order'],
    limit: 10,
    leaseOwner: 'this-server',
    leaseMs: 100_000,
    now: 2_000,
  });
  await exited;
  t.same(
    claimed.map((j) => j.id),
    [],
    'J1 is left to the process that claimed it first',
  );
  const job = await store.getJob('J1');
  t.equal(job?.leaseOwner, 'other-server', 'its lease stands');
  t.equal(job?.attempts, 1, 'one attempt counted, not two');
});
