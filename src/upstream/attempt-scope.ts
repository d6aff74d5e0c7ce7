import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The outbox delivery attempt an upstream call is made for, carried by AsyncLocalStorage so no
 * connector threads it through. An attempt the outbox abandoned (outbox.attemptTimeoutMs ran out)
 * goes on running in the background: the promise cannot be stopped. Its retry looks, after
 * outbox.settleMs, whether the write landed, and writes only if not; a write the abandoned attempt
 * sent after that look (a step begun in time whose slow reads outlasted the attempt, or a request
 * queued for a connection) would land a second time. So once abandoned, it sends no more writes.
 */
export interface AttemptScope {
  /** Why the attempt was abandoned (the error its caller got), or undefined while it runs. */
  readonly abandonedBy: unknown;
}

const storage = new AsyncLocalStorage<AttemptScope>();

/** Runs `fn` (one delivery attempt) so the calls it makes see `scope`. */
export function runInAttempt<T>(scope: AttemptScope, fn: () => Promise<T>): Promise<T> {
  return storage.run(scope, fn);
}

/**
 * Throws why the attempt this call is made for was abandoned, if it was. Asked before a write
 * goes out only: reads change nothing, and a read may serve others too (a shared cache fill).
 */
export function refuseIfAbandoned(): void {
  const scope = storage.getStore();
  if (scope?.abandonedBy !== undefined) throw scope.abandonedBy;
}
