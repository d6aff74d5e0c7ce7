import { ConflictError } from '../domain/errors.js';
import { LockWaitTimeout } from '../store/keyed-mutex.js';
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
    if (!(err instanceof LockWaitTimeout)) throw err;
    throw new ConflictError(
      `another review decision on ${system} is still being written after ${REVIEW_LOCK_WAIT_MS / 1000} s; nothing was decided, send it again`,
    );
  }
}
