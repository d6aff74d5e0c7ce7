import type Database from 'better-sqlite3';

/**
 * Takes the exclusive SQLite lock on a lock file's connection (sqlite-owner.ts, lease-holders.ts,
 * sqlite-job-lock.ts):
 * never written, held until the connection closes or the process ends however it ends. Throws
 * SQLITE_BUSY while another live process holds it.
 */
export function lockExclusively(db: Database.Database): void {
  db.pragma('journal_mode = MEMORY'); // no -journal file beside it
  db.exec('BEGIN EXCLUSIVE');
}
