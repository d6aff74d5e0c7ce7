import { UpstreamError } from '../domain/errors.js';
import { LockWaitTimeout } from '../store/keyed-mutex.js';
import type { Store } from '../store/types.js';

/**
 * How much of a delivery attempt (outbox.attemptTimeoutMs) its write may spend waiting for its
 * record's lock (FlowSpec.writeLock): a third, so the wait ends before the attempt does even
 * when the attempt began with only half its time (a write that first waited for a slot).
 */
const LOCK_SHARE_OF_ATTEMPT = 1 / 3;
/** The wait where no attempt timeout is known (a handler called directly): the default attempt's share. */
const DEFAULT_LOCK_WAIT_MS = 20_000;
/** When a write that gave up waiting is due again: it waits anew then, the lock's holder is ours. */
const RETRY_AFTER_LOCK_MS = 1_000;

/**
 * A delivery that waited its share of the attempt for its record's lock, held by another write of
 * ours to the same record (a draft whose upstream write hangs: abandoned by its attempt, a write
 * still on its way keeps the lock until the system answers or the connector's timeout ends it).
 * It sent nothing: transient and `lock-error`, so no breaker counts it (failures.ts
 * waitsForOwnWrite), and due again soon uncharged (`retryAt`), never a dead letter. Thrown bare,
 * the store's LockWaitTimeout read as a bug of ours (failures.ts `internal`): dead-lettered at
 * once; and a wait outlasting the attempt was charged as the system not answering.
 */
export class RecordLockBusy extends UpstreamError {
  readonly retryAt: number;
  constructor(system: string, lock: string, waitMs: number) {
    super({
      system,
      transient: true,
      upstreamStatus: 503,
      code: 'lock-error',
      diagnostics: `another write of this record is still under way (lock ${lock} held past ${Math.round(waitMs)} ms); the write is queued`,
    });
    this.name = 'RecordLockBusy';
    this.retryAt = Date.now() + RETRY_AFTER_LOCK_MS;
  }
}

/** How long a write waits for its record's lock in an attempt of `attemptTimeoutMs` (undefined: not known). */
export function recordLockWaitMs(attemptTimeoutMs: number | undefined): number {
  return attemptTimeoutMs === undefined ? DEFAULT_LOCK_WAIT_MS : attemptTimeoutMs * LOCK_SHARE_OF_ATTEMPT;
}

/** Runs `fn` holding `lock` (Store.withLock) for a delivery to `system`; a wait that ran out is RecordLockBusy. */
export function underRecordLock<T>(
  store: Pick<Store, 'withLock'>,
  lock: string,
  system: string,
  waitMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  return store.withLock(lock, fn, { waitMs }).catch((err: unknown) => {
    if (err instanceof LockWaitTimeout && err.lockName === lock) throw new RecordLockBusy(system, lock, waitMs);
    throw err;
  });
}
