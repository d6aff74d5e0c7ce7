/**
 * Issue 18: a group-committed write that is one statement runs without a SAVEPOINT of its own
 * (GroupCommit.writeStatement), and fails exactly as it did with one: SQLite backs out a failing
 * statement by itself and the rest of the batch commits; where SQLite ends the whole transaction
 * instead, every operation of the batch fails. The store's one-statement calls on the order path
 * (audit rows: the ledger's notes; journal steps; attempts; reschedules) use it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { GroupCommit } from '../../../src/store/group-commit.js';
import { openStore, type NewJob } from '../../../src/store/index.js';

function tempFile(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'single-statement-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'mediator.db');
}

/** Counts the runs of every SAVEPOINT statement prepared on any connection opened from now on. */
function countSavepoints(t: Test): { runs: number } {
  const counted = { runs: 0 };
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql);
    if (/^\s*SAVEPOINT\b/i.test(sql)) {
      const run = statement.run.bind(statement) as (...params: unknown[]) => Database.RunResult;
      statement.run = (...params: unknown[]) => {
        counted.runs += 1;
        return run(...params);
      };
    }
    return statement;
  } as typeof prepare;
  t.teardown(() => {
    Database.prototype.prepare = prepare;
  });
  return counted;
}

function table(t: Test): Database.Database {
  const db = new Database(tempFile(t));
  t.teardown(() => db.close());
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY)');
  return db;
}

const keys = (db: Database.Database) =>
  (db.prepare('SELECT k FROM t ORDER BY k').all() as { k: number }[]).map((r) => r.k);

t.test('a failing statement written without a savepoint is backed out alone; its batch commits', async (t) => {
  const savepoints = countSavepoints(t);
  const db = table(t);
  const commits = new GroupCommit(db);
  const before = commits.write(() => db.prepare('INSERT INTO t (k) VALUES (1)').run().changes);
  // its first two rows go in before the third collides with the write above: all three must go
  const failing = commits.writeStatement(() => db.prepare('INSERT INTO t (k) VALUES (7), (8), (1)').run().changes);
  const after = commits.writeStatement(() => db.prepare('INSERT INTO t (k) VALUES (2)').run().changes);
  const outcomes = await Promise.allSettled([before, failing, after]);
  t.same(
    outcomes.map((o) => o.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  t.match(String((outcomes[1] as PromiseRejectedResult).reason), /UNIQUE|PRIMARY KEY/);
  t.same(keys(db), [1, 2], 'none of the failing statement’s rows; the writes around it committed');
  t.equal(commits.stats.commits, 1, 'one batch');
  t.equal(savepoints.runs, 1, 'a savepoint for write() only');
});

t.test('a statement that ends the transaction fails its whole batch, with or without a savepoint', async (t) => {
  for (const how of ['writeStatement', 'write'] as const) {
    await t.test(how, async (t) => {
      const db = table(t);
      const commits = new GroupCommit(db);
      const fine = commits.write(() => db.prepare('INSERT INTO t (k) VALUES (1)').run().changes);
      // OR ROLLBACK: SQLite ends the whole transaction on the conflict (as it does on an I/O error)
      const ending = commits[how](() => db.prepare('INSERT OR ROLLBACK INTO t (k) VALUES (1)').run().changes);
      const outcomes = await Promise.allSettled([fine, ending]);
      t.same(
        outcomes.map((o) => o.status),
        ['rejected', 'rejected'],
        'both operations of the batch reject',
      );
      t.equal(db.inTransaction, false);
      t.same(keys(db), [], 'nothing of the batch was kept');
      t.equal(await commits.writeStatement(() => db.prepare('INSERT INTO t (k) VALUES (3)').run().changes), 1);
      t.same(keys(db), [3], 'the next batch works');
    });
  }
});

function newJob(key: string): NewJob {
  return {
    id: `job-${key}`,
    flow: 'write',
    system: 'noop',
    idempotencyKey: key,
    payloadHash: 'h',
    payload: { key },
    status: 'in-flight',
    attempts: 1,
    nextAttemptAt: 1,
    leaseOwner: 'me',
    leaseUntil: 10,
    createdAt: 1,
  };
}

t.test('the order path’s one-statement store calls take no savepoint and fail alone', async (t) => {
  const file = tempFile(t);
  const savepoints = countSavepoints(t);
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  t.teardown(() => store.close());
  await store.recordWrite(newJob('a'));
  const runsBefore = savepoints.runs;
  const outcomes = await Promise.allSettled([
    store.putStep('job-a', 'initiate', 'req-1', 2),
    store.appendAudit({ actor: 'openlmis-connector', action: 'openlmis.initiate-intent', subject: 'k', details: {} }),
    // NOT NULL actor: refused by SQLite
    store.appendAudit({ actor: null as unknown as string, action: 'broken', subject: 'k' }),
    store.appendJobAttempt({ jobId: 'job-a', attempt: 1, startedAt: 1, endedAt: 2, outcome: 'retry' }),
    store.rescheduleJob('job-a', 'me', 5, 'later', false, 3),
  ]);
  t.same(
    outcomes.map((o) => o.status),
    ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  );
  t.equal(savepoints.runs - runsBefore, 0, 'no SAVEPOINT for any of them');
  const disk = new Database(file, { readonly: true, fileMustExist: true });
  t.teardown(() => disk.close());
  t.same(
    disk.prepare('SELECT action FROM audit ORDER BY id').all(),
    [{ action: 'openlmis.initiate-intent' }],
    'the refused audit row is not kept; the good one is',
  );
  t.same(disk.prepare('SELECT step, result FROM step_journal').all(), [{ step: 'initiate', result: '"req-1"' }]);
  t.same(disk.prepare("SELECT status, next_attempt_at FROM outbox_jobs WHERE id = 'job-a'").get(), {
    status: 'pending',
    next_attempt_at: 5,
  });
  t.equal((await store.listJobAttempts('job-a')).length, 1);
  t.equal(await store.putStep('job-a', 'initiate', 'req-2', 4), 'req-1', 'a step recorded before wins, as it did');
});

t.test('a first sighting of one version is one statement: no savepoint, answered as recorded', async (t) => {
  const file = tempFile(t);
  const savepoints = countSavepoints(t);
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  t.teardown(() => store.close());
  const ahead = store.writesAhead();
  const runsBefore = savepoints.runs;
  t.same(await ahead.firstSeen('facilities', [{ fhirId: 'a', version: 'v1' }], 100), new Map([['a', 100]]));
  t.same(await store.firstSeen('facilities', [{ fhirId: 'b', version: 'v1' }], 110), new Map([['b', 110]]));
  t.equal(savepoints.runs - runsBefore, 0, 'no SAVEPOINT for one new version');
  await ahead.onDisk();
  t.same(
    await store.firstSeen('facilities', [{ fhirId: 'a', version: 'v1' }], 200),
    new Map([['a', 100]]),
    'the same version keeps its first sighting',
  );
  t.same(
    await store.firstSeen(
      'facilities',
      [
        { fhirId: 'a', version: 'v2' },
        { fhirId: 'b', version: 'v1' },
        { fhirId: 'c', version: 'v1' },
      ],
      300,
    ),
    new Map([
      ['a', 300],
      ['b', 110],
      ['c', 300],
    ]),
    'a new version and a new id are seen now, a known one as before',
  );
  t.equal(savepoints.runs - runsBefore, 1, 'several new versions: one savepoint, all or none');
  const disk = new Database(file, { readonly: true, fileMustExist: true });
  t.teardown(() => disk.close());
  t.same(disk.prepare('SELECT fhir_id, version, seen_at FROM content_seen ORDER BY fhir_id').all(), [
    { fhir_id: 'a', version: 'v2', seen_at: 300 },
    { fhir_id: 'b', version: 'v1', seen_at: 110 },
    { fhir_id: 'c', version: 'v1', seen_at: 300 },
  ]);
});
