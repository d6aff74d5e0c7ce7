import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { ConfigError } from '../config/load.js';
import { lockExclusively } from './lock-file.js';
import { AdvisoryLockLost } from './pg-held-lock.js';

/**
 * How long an attempt waits for the lock file while another process is taking or giving back its
 * lock: opening it reads the file, so two attempts at one moment can each see the other's read
 * and both be refused (with no wait: 18% of 2000 same-millisecond trials in one measurement,
 * 1.2% in another; with this one: none of 2000), the tick then dropped and `jobs run` told
 * "running elsewhere" while nothing runs. Short: a live holder keeps it longer.
 */
export const JOB_LOCK_WAIT_MS = 100;

/**
 * The pause between attempts while the lock is held, drawn afresh each time: short against the
 * wait, and never the same in two processes, so two that clashed once do not clash again in step.
 */
const RETRY_MS = { min: 2, max: 10 };

/** Codes of a lock file this process may not read or write: SQLite's, and access(2)'s. */
const UNUSABLE = new Set(['SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM', 'EACCES', 'EPERM', 'EROFS']);

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
 *
 * Resolves to the release, or to undefined when the lock was still held `waitMs` later.
 */
export async function takeJobLock(
  dbFile: string,
  name: string,
  waitMs = JOB_LOCK_WAIT_MS,
): Promise<(() => void) | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const release = tryJobLockOnce(dbFile, name);
    const left = deadline - Date.now();
    if (release || left <= 0) return release;
    // asked again after a pause, not waited for inside SQLite (its busy timeout sleeps in the
    // call): that blocked the event loop, requests and all, up to 100 ms each time a tick met
    // a `jobs run` holding the lock
    await sleep(pauseWithin(left));
  }
}

/**
 * The next pause, never past the deadline `left` ms away: the last ask is at the deadline, so the
 * wait is `waitMs` and one ask, not up to a whole pause more (~118 ms where 100 ms was said).
 */
export function pauseWithin(left: number, draw = Math.random()): number {
  return Math.min(left, RETRY_MS.min + draw * (RETRY_MS.max - RETRY_MS.min));
}

/** One attempt at the lock, refused at once (undefined) while another connection holds it. */
function tryJobLockOnce(dbFile: string, name: string): (() => void) | undefined {
  const file = jobLockFile(dbFile, name);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 0 });
    assertReadWrite(file);
    lockExclusively(db);
  } catch (err) {
    db?.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return undefined; // a live process holds it
    throw unusableLockFile(file, err) ?? err;
  }
  const held = db;
  return () => {
    if (held.open) held.close(); // closing ends the transaction, and with it the lock
  };
}

/**
 * A lock file this process may read but not write (left by a `sudo jobs run`: root's, 0644) is
 * opened read-only by SQLite without a word, and its exclusive lock is then "taken" by every such
 * process at once: two runs of one job. Asked of the file's mode, not by opening it here: closing
 * any descriptor of the file drops every lock this process holds on it (POSIX record locks).
 */
function assertReadWrite(file: string): void {
  fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
}

/**
 * A lock file beside the database this process may not use (sqlite-job-lock.ts's, the review
 * lock's of sqlite-process-lock.ts): a configuration error the CLI says in one line, and one an
 * API answers as such (review-lock.ts: a 503 naming the file, not a bare 500).
 */
export class LockFileUnusable extends ConfigError {}

/** The configuration error naming the lock file and what to do, for a file this process may not use. */
function unusableLockFile(file: string, err: unknown): LockFileUnusable | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !UNUSABLE.has(code)) return undefined;
  const dir = unwritableDirectory(file);
  if (dir)
    return new LockFileUnusable(
      `the directory ${dir} is not writable by this process, so the lock file ${file} cannot be made there ` +
        `(${code}): every mediator process on this database (the server, jobs and reconcile --store) makes its ` +
        'lock files beside it: let the user the mediator runs as write to that directory, or run the command as the user that can',
    );
  return new LockFileUnusable(
    `the lock file ${file} cannot be read and written by this process (${code}): ` +
      'every mediator process on this database (the server, jobs and reconcile --store) needs it (a command run as ' +
      "another user, as with sudo, leaves it that user's): give it to the user the mediator runs as (chown), or " +
      'remove it while no mediator or command runs on this database (it is made again)',
  );
}

/**
 * The directory of a lock file not there yet when this process may not write to it (read-only,
 * another user's): the file cannot be made, and no chown of a file that is not there helps.
 * Asked with access(2), as assertReadWrite, not by opening anything.
 */
function unwritableDirectory(file: string): string | undefined {
  if (fs.existsSync(file)) return undefined;
  const dir = path.dirname(file);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return undefined;
  } catch {
    return dir;
  }
}

/** How often a held job lock's file is looked at (watchLockFile). */
export const LOCK_FILE_CHECK_MS = 1_000;

/**
 * Aborts `lost` (with AdvisoryLockLost, as PostgreSQL's lock does) once the path no longer names
 * the file whose lock this run holds: removed (an operator's rm while a run holds it) or replaced.
 * The lock stays on the old file, which nobody opens again, and a process starting now makes a
 * new file and takes its lock: two runs of the job. Nothing else loses it while the process lives:
 * no lease, no session; the kernel keeps it until its descriptor closes, and SQLite keeps a locked
 * file's descriptor open whatever other connections of this process open and close. Asked with
 * stat(2), never by opening the file: closing any descriptor of it drops this process's locks.
 * Returns the stop of the watch.
 */
export function watchLockFile(dbFile: string, name: string, lost: AbortController, everyMs = LOCK_FILE_CHECK_MS) {
  const file = jobLockFile(dbFile, name);
  const held = fileIdentity(file);
  const timer = setInterval(() => {
    const now = fileIdentity(file);
    if (held === undefined || now === held) return;
    clearInterval(timer);
    const why = now === undefined ? 'its lock file was removed' : 'its lock file was replaced by another';
    lost.abort(new AdvisoryLockLost(name, `${why}: another process may hold it now`));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The file `file` names now (device and inode), undefined when none. */
export function fileIdentity(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** The lock file of job lock `name` (`schedule:propagate`): beside the database, its name made file-safe. */
export function jobLockFile(dbFile: string, name: string): string {
  return `${dbFile}.job-lock-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
