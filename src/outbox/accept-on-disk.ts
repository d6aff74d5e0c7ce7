import { markDatabaseAway } from '../store/database-away.js';
import type { WritesAhead } from '../store/types.js';

/**
 * The sync of an accept recorded ahead of the disk (Store.writesAhead().recordWrites; issue 18).
 * The accept settles at its COMMIT, so the delivery it starts makes its first upstream reads while
 * the fsync runs, where it used to wait for it first: one serial wait for the disk fewer per
 * write. What keeps that safe is two waits on this sync: no upstream write of the attempt goes out
 * before it (`writesAfter`, through the attempt's scope: upstream/attempt-scope.ts writesMayGo),
 * and nobody is answered before it (`answered`). A power cut before it loses the accept with
 * nothing sent upstream and nobody told, as if the request never came. PostgreSQL commits to disk,
 * so both resolve at once there.
 */
export interface AcceptOnDisk {
  /** Awaited before any answer: the sync's own outcome (a failure as the store gave it). */
  readonly answered: Promise<void>;
  /** Awaited before the attempt's first upstream write; a failure is the database's, so retried. */
  readonly writesAfter: Promise<void>;
}

/** Taken right after the accept settled: the sync of that COMMIT, not of what commits later. */
export function acceptOnDisk(ahead: Pick<WritesAhead, 'onDisk'>): AcceptOnDisk {
  const answered = ahead.onDisk();
  answered.catch(() => undefined); // awaited before the answer; not "unhandled" meanwhile
  const writesAfter = answered.catch((err: unknown) => {
    throw notOnDisk(err);
  });
  writesAfter.catch(() => undefined); // awaited only by an attempt that reaches a write
  return { answered, writesAfter };
}

/**
 * The attempt's view of a failed sync: the database's failure (a retry later, uncharged), not a
 * bug of the connector, whatever the error's own code (an fsync's EIO says nothing of SQLite).
 */
function notOnDisk(err: unknown): Error {
  const why = err instanceof Error ? err.message : String(err);
  const e = new Error(`the accepted write did not reach the mediator's database disk (${why})`, { cause: err });
  markDatabaseAway(e);
  return e;
}
