import Database from 'better-sqlite3';

/**
 * The scheduler's lock of one job on a SQLite file (withAdvisoryLock), shared by every process on
 * it: the server and a `jobs run` started beside it (CLI commands work beside a server). An
 * in-process guard alone let the server's start-up (and its ticks) call a live CLI run abandoned,
 * its end later overwriting that, and let both run the job at once.
 *
 * As the server's own lock (sqlite-owner.ts) and the outbox's holder locks (lease-holders.ts): an
 * exclusive SQLite lock on a file beside the database (`mediator.db.job-lock-<name>`), never
 * written, which the operating system drops when the process ends however it ends (SIGKILL), so a
 * lock that can be taken means no live process runs the job. The file is kept: removing it while
 * another process opens it could leave two holders, each of its own file.
 */
export function tryJobLock(dbFile: string, name: string): (() => void) | undefined {
  const db = new Database(jobLockFile(dbFile, name), { timeout: 0 });
  try {
    db.pragma('journal_mode = MEMORY'); // no -journal file beside it
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return undefined; // a live process holds it
    throw err;
  }
  return () => {
    if (db.open) db.close(); // closing ends the transaction, and with it the lock
  };
}

/** The lock file of job lock `name` (`schedule:propagate`): beside the database, its name made file-safe. */
export function jobLockFile(dbFile: string, name: string): string {
  return `${dbFile}.job-lock-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
