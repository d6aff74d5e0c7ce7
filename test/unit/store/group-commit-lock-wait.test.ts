/**
 * GroupCommit while another connection holds SQLite's write lock (another process in
 * production: an operator's shell in a transaction): its writes wait off the event loop (timers
 * and reads go on), then run in the order they came, in one batch, once the lock is back; /ready's
 * probe names the lock. A second connection in this process stands for the other process: it
 * takes the same file lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { GroupCommit } from '../../../src/store/group-commit.js';

t.test('writes wait for a lock held elsewhere without blocking, then run in order', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-lock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'x.db');
  const db = new Database(file, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (n INTEGER)');
  const other = new Database(file, { timeout: 5_000 });
  t.teardown(() => {
    other.close();
    db.close();
  });
  const commits = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (n) VALUES (?)');

  other.exec('BEGIN IMMEDIATE');
  const written = [
    commits.write(() => insert.run(1)),
    commits.writeStatement(() => insert.run(2)),
    commits.writeAhead(() => insert.run(3)),
    commits.writeBehind(() => insert.run(4)),
  ];
  // told by what has happened, not how long it took: a write that did not wait off the event loop
  // would have failed (SQLITE_BUSY), or blocked the loop until it did, before anything below ran
  let settled = 0;
  for (const w of written)
    void w.then(
      () => settled++,
      () => settled++,
    );
  await t.rejects(commits.probeWriteLock(200), /another process holds the SQLite database's write lock/);
  t.same(await commits.read(() => db.prepare('SELECT count(*) AS c FROM t').get()), { c: 0 }, 'reads go on');
  // a timer fires meanwhile: the loop is free while the writes wait
  await new Promise((r) => setTimeout(r, 50));
  t.equal(settled, 0, 'no write ended (nor failed) while the lock is held elsewhere');
  other.exec('COMMIT');
  await Promise.all(written);
  t.same(
    db
      .prepare('SELECT n FROM t ORDER BY rowid')
      .all()
      .map((r: any) => r.n),
    [1, 2, 3, 4],
    'in the order they came',
  );
  t.equal(commits.stats.commits, 1, 'in one batch');
  await commits.probeWriteLock(200); // free again: resolves
  t.equal(db.inTransaction, false, 'the probe wrote nothing and left no transaction');
});

t.test('a write waiting for the lock when the database closes fails as the database away', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-lock-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'x.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (n INTEGER)');
  const other = new Database(file);
  t.teardown(() => other.close());
  const commits = new GroupCommit(db);
  other.exec('BEGIN IMMEDIATE');
  const waiting = commits.write(() => db.prepare('INSERT INTO t (n) VALUES (1)').run());
  db.close(); // a shutdown
  const err = await waiting.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal((err as { code?: string })?.code, 'SQLITE_BUSY', 'SQLITE_BUSY (a 503, retried uncharged), not a TypeError');
  other.exec('ROLLBACK');
});
