import { LockWaitTimeout } from './keyed-mutex.js';
import { takeJobLock } from './sqlite-job-lock.js';

/**
 * Store.withLock's `acrossProcesses` on a SQLite file: the in-process mutex alone let a
 * `reconcile --store` run beside the server write its crosswalk while a review decision was being
 * checked and written there (each process held "the" review lock of its own), so a facility a
 * person linked while the run matched could end up linked to a second record. The lock file of
 * sqlite-job-lock.ts is the lock every process on the file sees: dropped by the operating system
 * with its process however it ends, asked again after short pauses, never by blocking the event
 * loop. Called under the in-process mutex of `name`, so this process never asks for a lock file
 * it already holds (closing the asking connection would drop the held one: POSIX record locks).
 */
export async function withProcessLock<T>(
  dbFile: string,
  name: string,
  fn: () => Promise<T>,
  waitMs = Number.POSITIVE_INFINITY,
): Promise<T> {
  // its own file name space: a job named like a lock (`review:x`) never shares its file
  const release = await takeJobLock(dbFile, `shared-lock:${name}`, Math.max(0, waitMs));
  if (!release) throw new LockWaitTimeout(name, waitMs);
  try {
    return await fn();
  } finally {
    release();
  }
}
