import { AsyncLocalStorage } from 'node:async_hooks';
import { LockWaitTimeout } from './keyed-mutex.js';
import { fileIdentity, jobLockFile, takeJobLock } from './sqlite-job-lock.js';

/**
 * The process lock's file was removed or replaced while held (an operator's `rm`, a cleanup cron):
 * the lock stays on the old file, which nobody opens again, and another process makes a new file
 * and takes "the" lock beside this one. A write under it is refused, not made beside theirs.
 */
export class ProcessLockLost extends Error {
  constructor(
    readonly lockName: string,
    readonly file: string,
  ) {
    super(
      `the lock ${lockName} was lost: its lock file ${file} was removed or replaced while this process held it, so another process may hold it now; this write was refused and nothing more is written under it`,
    );
    this.name = 'ProcessLockLost';
  }
}

interface HeldFile {
  name: string;
  file: string;
  /** The lock file's device and inode when taken. */
  identity: string;
  /** Given back: work started under it that outlives it (a write begun, not awaited) checks it no more. */
  released?: boolean;
}

/** The lock files held by the code running now (nested locks: every one), for its writes to check. */
const held = new AsyncLocalStorage<HeldFile[]>();

/**
 * Store.withLock's `acrossProcesses` on a SQLite file: the in-process mutex alone let a
 * `reconcile --store` run beside the server write its crosswalk while a review decision was being
 * checked and written there (each process held "the" review lock of its own), so a facility a
 * person linked while the run matched could end up linked to a second record. The lock file of
 * sqlite-job-lock.ts is the lock every process on the file sees: dropped by the operating system
 * with its process however it ends, asked again after short pauses, never by blocking the event
 * loop. Called under the in-process mutex of `name`, so this process never asks for a lock file
 * it already holds (closing the asking connection would drop the held one: POSIX record locks).
 *
 * The file removed while held lets a second process take the lock beside this one, and nothing
 * tells either (the kernel's lock is on the old file). So the file's identity is noted when taken
 * and each write of the store under the lock first checks that the path still names it
 * (heldLockCheck): the holder whose file is gone refuses its write (ProcessLockLost) and the
 * process on the new file writes alone.
 */
export async function withProcessLock<T>(
  dbFile: string,
  name: string,
  fn: () => Promise<T>,
  waitMs = Number.POSITIVE_INFINITY,
): Promise<T> {
  // its own file name space: a job named like a lock (`review:x`) never shares its file
  const lockName = `shared-lock:${name}`;
  const release = await takeJobLock(dbFile, lockName, Math.max(0, waitMs));
  if (!release) throw new LockWaitTimeout(name, waitMs);
  let entry: HeldFile | undefined;
  try {
    const file = jobLockFile(dbFile, lockName);
    // stat(2), never an open: closing any descriptor of the file drops this process's lock on it
    const identity = fileIdentity(file);
    if (identity === undefined) throw new ProcessLockLost(name, file); // removed as it was taken
    entry = { name, file, identity };
    return await held.run([...(held.getStore() ?? []), entry], fn);
  } finally {
    if (entry) entry.released = true;
    release();
  }
}

/**
 * For a write about to be made: a check that every process lock the calling code holds still has
 * its file (throws ProcessLockLost), or undefined when it holds none. Taken when the write is
 * asked, run when it is made (a write may wait for the database's own lock in between).
 */
export function heldLockCheck(): (() => void) | undefined {
  const files = held.getStore();
  if (!files?.length) return undefined;
  return () => {
    for (const f of files)
      if (!f.released && fileIdentity(f.file) !== f.identity) throw new ProcessLockLost(f.name, f.file);
  };
}
