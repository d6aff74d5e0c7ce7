import path from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';
import { limitsPlannedOnce } from './sqlite-limits.js';
import { WalSync } from './wal-sync.js';

/**
 * One better-sqlite3 connection per database file per process, shared by every SqliteStore
 * opened on that file and reference-counted (the last close closes it). Group commit keeps a
 * transaction open until the end of the event-loop turn; a second connection to the same file in
 * this process would then wait for the write lock in a synchronous busy loop, blocking the very
 * event loop that has to commit, i.e. a deadlock until busy_timeout. Sharing the connection also
 * shares the batch: two stores on one file commit together. `:memory:` is never shared (each
 * opening is its own database).
 */
export interface SqliteConnection {
  readonly db: Database.Database;
  readonly commits: GroupCommit;
  /**
   * A prepared statement per SQL text (preparing on every call cost ~9 % of a write's CPU), its
   * `LIMIT ?` spelled so SQLite does not prepare it again at each run (sqlite-limits.ts).
   */
  statement(sql: string): Database.Statement;
}

interface Shared extends SqliteConnection {
  key?: string;
  refs: number;
  wal?: WalSync;
}

/** More distinct statements than this (an IN list per length) are prepared without being kept. */
const MAX_CACHED_STATEMENTS = 300;

/**
 * WAL frames after which a COMMIT checkpoints (SQLite's default is 1,000). The checkpoint runs
 * inside that COMMIT, on the event loop, with two fsyncs (the WAL, then the database): about
 * half of the COMMIT's time on a create at 10 clients (issue 18). A create writes 7-20 frames,
 * mostly the same hot leaf pages again, so a checkpoint every 4,000 frames copies each hot page
 * once where four checkpoints copied it four times: the COMMIT held the loop 124 µs per create
 * instead of 189 (medians of three alternated runs), with half the stalls above 2 ms. What is
 * durable and when is unchanged (the checkpoint syncs the WAL before copying from it; GroupCommit
 * answers nobody before its own WAL fsync); the WAL file keeps up to ~16 MB instead of ~4 MB.
 */
export const WAL_CHECKPOINT_FRAMES = 4_000;

const byFile = new Map<string, Shared>();

export function acquireConnection(filename: string): SqliteConnection {
  const key = filename === ':memory:' || filename === '' ? undefined : path.resolve(filename);
  const existing = key ? byFile.get(key) : undefined;
  if (existing) {
    existing.refs += 1;
    return existing;
  }
  const shared = openConnection(filename, key);
  if (key) byFile.set(key, shared);
  return shared;
}

/** Drop one reference; the last one commits what is pending and closes the connection. */
export function releaseConnection(connection: SqliteConnection): void {
  const shared = connection as Shared;
  shared.refs -= 1;
  if (shared.refs > 0) return;
  if (shared.key && byFile.get(shared.key) === shared) byFile.delete(shared.key);
  if (!shared.db.open) return;
  try {
    shared.commits.flush();
  } finally {
    shared.db.close();
    shared.wal?.close();
  }
}

function openConnection(filename: string, key: string | undefined): Shared {
  const db = new Database(filename);
  const mode = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
  // A commit must be on disk before we acknowledge a write. A file in WAL mode gets that from
  // GroupCommit's fsync of the WAL after each commit, off the event loop (wal-sync.ts), on top of
  // NORMAL's syncs; anything else (:memory:, a file system without WAL) syncs inside COMMIT (FULL).
  const wal = key && mode === 'wal' ? new WalSync(`${key}-wal`) : undefined;
  db.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
  if (wal) db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_FRAMES}`);
  // busy_timeout: 0, set by GroupCommit, which waits for another process's write lock itself
  db.pragma('foreign_keys = ON');
  // Every write runs in a SAVEPOINT of its group commit, and the page images a savepoint may have
  // to roll back go to a sub-journal, which past 64 KiB spills to a new file in /var/tmp (created,
  // unlinked, written, closed; ~0.3 per OpenLMIS order at 8 in flight: issue 18). It only ever
  // serves a ROLLBACK TO inside a live transaction, never recovery (the WAL does that), so keeping
  // it in memory loses nothing: no file system metadata for the WAL's fsyncs to carry too.
  db.pragma('temp_store = MEMORY');
  const statements = new Map<string, Database.Statement>();
  return {
    db,
    key,
    refs: 1,
    wal,
    commits: new GroupCommit(db, wal),
    statement(sql) {
      let s = statements.get(sql);
      if (!s) {
        s = db.prepare(limitsPlannedOnce(sql));
        if (statements.size < MAX_CACHED_STATEMENTS) statements.set(sql, s);
      }
      return s;
    },
  };
}
