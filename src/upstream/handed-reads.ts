import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A read handed by a caller to the write it makes next of the same data, so the write does not
 * ask the system again: the stock bridge compares the LMIS's values with what DHIS2 holds for an
 * org unit and period, and the DHIS2 write of the changes keeps the comments and follow-up marks
 * of that same read (systems/dhis2/stock.ts) instead of a second GET of them.
 *
 * The rule that keeps a handed read from going stale:
 * - It lives only in the scope the caller opens for one read-then-write (withHandedReads), in
 *   memory, and only until that scope ends: nothing of it is in the outbox job's payload or the
 *   store. A restart, another instance, an operator's replay, or the outbox worker's retry (which
 *   runs in the worker's own context, not the caller's) finds none and reads afresh.
 * - It is taken once (takeHandedReads), by the first write attempt that looks, as that attempt
 *   starts: any later attempt, even one run in the same scope, finds none and reads afresh (the
 *   first may have been applied in part, and a person may have edited since).
 * The connector decides whether what it was handed is the same data (same data set, org unit and
 * period, naming the values it writes), and reads again when not.
 */
const storage = new AsyncLocalStorage<Map<string, unknown>>();

/**
 * Runs `fn` (one read, then the write of what it found) with a scope of reads to hand on. What
 * is left untaken when it ends is dropped: an attempt that starts later (one still waiting when
 * the caller stopped waiting for it) reads afresh, and a connection opened in the scope, which
 * keeps its context for as long as it lives, does not keep the read.
 */
export async function withHandedReads<T>(fn: () => Promise<T>): Promise<T> {
  const reads = new Map<string, unknown>();
  try {
    return await storage.run(reads, fn);
  } finally {
    reads.clear();
  }
}

/** Whether a read made now can be handed on (the caller opened a scope): else there is no need to keep it. */
export function handingReads(): boolean {
  return storage.getStore() !== undefined;
}

/** Keeps `read` under `key` for the write that follows in this scope (nothing outside one, or once it ended). */
export function handRead(key: string, read: unknown): void {
  storage.getStore()?.set(key, read);
}

/** The reads handed on in this scope, taken: a second call (a later attempt) gets none. */
export function takeHandedReads(): ReadonlyMap<string, unknown> {
  const scope = storage.getStore();
  if (!scope?.size) return new Map();
  const taken = new Map(scope);
  scope.clear();
  return taken;
}
