import { ConflictError, MediatorError } from '../domain/errors.js';
import { LockWaitTimeout } from '../store/keyed-mutex.js';
import { LockFileUnusable } from '../store/sqlite-job-lock.js';
import { ProcessLockLost } from '../store/sqlite-process-lock.js';
import type { Store } from '../store/types.js';

/** How long a decision waits for another on the same system (each takes a few store round trips). */
const REVIEW_LOCK_WAIT_MS = 15_000;

/** The lock of a system's review decisions, which a reconcile run's write takes too. */
export const reviewLockName = (system: string) => `review:${system}`;

/**
 * Across processes: `reconcile --store` writes its run from the CLI beside the server that takes
 * the decisions, on one SQLite file too (PostgreSQL's advisory lock is across processes anyway).
 */
export const REVIEW_LOCK_ACROSS_PROCESSES = { acrossProcesses: true } as const;

/** Who holds a system's review lock, for a wait that ran out: the holder may be another process. */
const HOLDERS =
  "another review decision or a reconcile run's write (the scheduled job, or a reconcile --store beside the server, perhaps stopped)";

const REVIEW_LOCK_OPTIONS = { waitMs: REVIEW_LOCK_WAIT_MS, ...REVIEW_LOCK_ACROSS_PROCESSES };

/**
 * Review decisions and undos of one system's crosswalk, one at a time, across every instance on
 * the database and every process on it (Store.withLock: an advisory lock on PostgreSQL, a lock
 * file beside a SQLite database). Each reads the row, checks what
 * the caller saw (`seenDecidedAt`, the state, whether a registry facility is already linked to
 * another record) and writes: without the lock two data managers deciding at once both pass the
 * checks on the same old row, and the second silently overrules the first, or one registry
 * facility ends up linked to two records of the system. One lock per system, not per record, since
 * an accept's "already linked" check reads the system's other rows.
 */
export async function oneReviewAtATime<T>(store: Store, system: string, decide: () => Promise<T>): Promise<T> {
  try {
    return await store.withLock(reviewLockName(system), decide, REVIEW_LOCK_OPTIONS);
  } catch (err) {
    if (err instanceof LockFileUnusable) throw lockFileRefusal(system, err);
    if (err instanceof ProcessLockLost) throw lockLostRefusal(system, err);
    if (!(err instanceof LockWaitTimeout)) throw err;
    throw new ConflictError(
      `the review lock of ${system} was still held after ${REVIEW_LOCK_WAIT_MS / 1000} s, by ${HOLDERS}: nothing was decided, send it again`,
    );
  }
}

/**
 * The review lock's file beside a SQLite database that this process may not use (a `sudo …
 * reconcile --store` left it root's): every decision of the system was a bare 500 "internal
 * error", the why only in the log. Said to the person, for the operator: no resend helps.
 */
function lockFileRefusal(system: string, err: LockFileUnusable): MediatorError {
  return new MediatorError(503, {
    code: 'lock-error',
    diagnostics: `the review lock of ${system} cannot be taken: ${err.message}; nothing was written`,
  });
}

/** What happened to a review lock whose file went while held (sqlite-process-lock.ts). */
const lockLost = (system: string, err: ProcessLockLost) =>
  `the review lock of ${system} was lost while held: its lock file ${err.file} was removed or replaced (another process may hold the lock now)`;

/**
 * The review lock's file removed or replaced while this decision held it (sqlite-process-lock.ts):
 * its write was refused, since another process may hold the lock now. Sent again, it takes the
 * lock on the file as it is now.
 */
function lockLostRefusal(system: string, err: ProcessLockLost): MediatorError {
  return new MediatorError(503, {
    code: 'lock-error',
    diagnostics: `${lockLost(system, err)}; this decision was not written: send it again`,
  });
}

/**
 * A reconcile run's write under the review lock of `system` (reconcile-run.ts), waiting `waitMs`.
 * Its wait run out was a LockWaitTimeout the CLI printed as a stack trace ("still held by another
 * write"), with nothing said of what was kept: now a 409 saying who holds the lock, that nothing
 * of the run was written, and to run it again.
 */
export async function runWriteUnderReviewLock<T>(
  store: Store,
  system: string,
  write: () => Promise<T>,
  waitMs: number,
): Promise<T> {
  try {
    return await store.withLock(reviewLockName(system), write, { waitMs, ...REVIEW_LOCK_ACROSS_PROCESSES });
  } catch (err) {
    if (err instanceof ProcessLockLost)
      throw new ConflictError(
        `${lockLost(system, err)}: nothing of this reconcile run was written to the stored crosswalk; run it again`,
      );
    // an unusable lock file stays the configuration error it is (the CLI: `configuration error: …`)
    if (!(err instanceof LockWaitTimeout)) throw err;
    throw new ConflictError(
      `the review lock of ${system} was still held after ${waitMs / 1000} s, by ${HOLDERS}: nothing of this reconcile run was written to the stored crosswalk; run it again`,
    );
  }
}
