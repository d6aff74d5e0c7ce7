import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The outbox delivery attempt an upstream call is made for, carried by AsyncLocalStorage so no
 * connector threads it through. An attempt the outbox abandoned (outbox.attemptTimeoutMs ran out)
 * goes on running in the background: the promise cannot be stopped. Its retry looks, after
 * outbox.settleMs, whether the write landed, and writes only if not; a write the abandoned attempt
 * sent after that look (a step begun in time whose slow reads outlasted the attempt, or a request
 * queued for a connection) would land a second time. So once abandoned, it sends no more writes,
 * and its reads end with it (attemptReadSignal): nobody waits for their answers any more.
 */
export interface AttemptScope {
  /** Why the attempt was abandoned (the error its caller got), or undefined while it runs. */
  readonly abandonedBy: unknown;
  /** Aborted when the attempt is abandoned (made when first asked for). */
  readonly signal?: AbortSignal;
  /** Told of each request the attempt sends a system (noteUpstreamCall): the systems its breaker decides on. */
  calling?(system: string): void;
  /**
   * Told of each call the attempt makes of a system, before it waits for a connection or between
   * its retries (noteAsking): not yet sent, so not a call its breaker decides on, but a system it waits on.
   */
  asking?(system: string): void;
  /** Told when such a call has its answer or its failure, after its last retry (noteAsking's end). */
  ended?(system: string): void;
  /**
   * Told that the attempt waits on a shared load another started (a cache fill: noteJoining),
   * until its value settles. Only a write's checks listen (routing/checks-deadline.ts), to name
   * whom it waits on in their timeout; an outbox attempt does not, so the system its timeout is
   * blamed on (its breaker) stays its own calls'.
   */
  joining?(load: SharedLoad<unknown>): void;
  /**
   * Settles once the attempt's write is durably accepted (its outbox record on disk); until then
   * its reads go out but no write does (writesMayGo). Rejects if that record failed to reach disk.
   */
  readonly writesAfter?: Promise<void>;
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

/**
 * Waits, before a write goes out, until the write the current attempt delivers is durably
 * accepted (AttemptScope.writesAfter; issue 18: the accept's fsync overlaps the attempt's first
 * reads). A write sent earlier could land upstream for an accept a power cut then loses, and
 * the client's resend would be a new write: applied twice. Undefined (nothing to wait for)
 * outside such an attempt (a worker's retry, a precheck).
 */
export function writesMayGo(): Promise<void> | undefined {
  return storage.getStore()?.writesAfter;
}

/**
 * A request to `system` is going out for the current attempt, if any: an attempt that sent its
 * system nothing (a facility waiting for its parent, a check of ours that refused the write) says
 * nothing about that system's health, so its circuit breaker must not decide on it
 * (outbox/breakers.ts). A shared load's requests count for the attempt that started it
 * (outsideAttempt), not for those that join it. Whether the attempt still waits on the system is
 * noteAsking's: every request goes out inside a client's call (client.ts send, logins included,
 * as they are asked for by its authorize), whose wait spans the request's; a login asked for
 * outside one (OpenLMIS's userId) tells noteAsking itself.
 */
export function noteUpstreamCall(system: string): void {
  storage.getStore()?.calling?.(system);
}

/**
 * A call of `system` (a connector's, client.ts) is waiting for its answer for the current attempt,
 * if any, from before it waits for one of the system's connections until its last retry ends: a
 * call queued behind a hung system's requests, or sleeping between retries, sends nothing for a
 * while, yet a timed-out attempt was waiting on that system (outbox.ts LazyAbort.waitedOn). Call
 * what it returns once the call has its answer or its failure.
 */
export function noteAsking(system: string): () => void {
  const scope = storage.getStore();
  scope?.asking?.(system);
  return () => scope?.ended?.(system);
}

/**
 * The signal a read (a GET) made for a delivery attempt ends with: a read still waiting when the
 * attempt is abandoned would otherwise hold a connection of the system's pool until the
 * connector's own timeout (openlmis.timeoutMs, 30 s), for an answer nobody reads. Never for a
 * write: aborted mid-flight, whether it landed would be unknown until the retry's look, and its
 * answer (an id, a status) would be lost. Undefined outside an attempt (a client's request, a
 * precheck, a bridge).
 */
export function attemptReadSignal(): AbortSignal | undefined {
  return storage.getStore()?.signal;
}

/**
 * Runs `fn` (a long read of a system's whole list: the reconcile job's) so that its reads end
 * with `signal`, as an attempt's reads end with it (attemptReadSignal): a stop of the job would
 * otherwise wait for the connector's own timeout on a system that does not answer. Reads only:
 * it names no attempt, so no write waits for one and no breaker counts its calls. A load others
 * share (outsideAttempt) is not cut by it. No signal: `fn` as it is.
 */
export function readsEndWith<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  if (!signal) return fn();
  return storage.run({ abandonedBy: undefined, signal }, fn);
}

/**
 * Runs `fn` outside any attempt's end: for a load whose result other attempts share (a cache
 * fill), which one attempt's end must not cut short for the others waiting on it. Its requests
 * are still the starting attempt's calls: an attempt whose only call is a fill that hangs until
 * the attempt times out met a system that does not answer, and its breaker must count that
 * (otherwise, once the reference data expires, a hung system never opens its breaker).
 */
export function outsideAttempt<T>(fn: () => T): T {
  const starter = storage.getStore();
  // outside any attempt there is nothing to leave: exit() would switch Node's async hooks off and
  // on again when no other store is in use (a client's precheck filling a cache, once per order)
  if (!starter) return fn();
  if (!starter.calling) return storage.exit(fn);
  const shared: AttemptScope = {
    abandonedBy: undefined,
    calling: (system) => starter.calling?.(system),
    asking: (system) => starter.asking?.(system),
    ended: (system) => starter.ended?.(system),
  };
  return storage.run(shared, fn);
}

/** A load others may join (sharedLoad): its value, and the systems its calls are waiting on now. */
export interface SharedLoad<T> {
  value: Promise<T>;
  waitingOn(): string[];
}

/**
 * outsideAttempt for a load others join while it runs (ExpiringCache): it also counts the systems
 * its calls wait on now, so a caller joining it can be told whom it waits on (noteJoining); the
 * calls are otherwise the starter's, as outsideAttempt's. Where outsideAttempt leaves the load no
 * scope (outside any attempt: 78a7b50c), nothing counts them, and a joiner is told of no system.
 */
export function sharedLoad<T>(fn: () => Promise<T>): SharedLoad<T> {
  const starter = storage.getStore();
  // as outsideAttempt: no store to leave, or one whose calls nobody counts
  if (!starter?.calling) return { value: outsideAttempt(fn), waitingOn: () => [] };
  const waiting = new Map<string, number>();
  const count = (system: string, by: number) => {
    const n = (waiting.get(system) ?? 0) + by;
    if (n > 0) waiting.set(system, n);
    else waiting.delete(system);
  };
  const shared: AttemptScope = {
    abandonedBy: undefined,
    calling: (system) => starter.calling?.(system),
    asking: (system) => {
      count(system, 1);
      starter.asking?.(system);
    },
    ended: (system) => {
      count(system, -1);
      starter.ended?.(system);
    },
  };
  return { value: storage.run(shared, fn), waitingOn: () => [...waiting.keys()] };
}

/** The current attempt, if it listens (AttemptScope.joining), waits on `load` another started. */
export function noteJoining(load: SharedLoad<unknown>): void {
  storage.getStore()?.joining?.(load);
}

/**
 * What each system was last asked in each attempt (or shared load), as a key made when read
 * (askedKey): an answer of another shape is told apart by it, one poisoned request met by many
 * jobs from a gateway answering every request so (outbox/other-shape-streak.ts).
 */
const lastAsked = new WeakMap<AttemptScope, Map<string, () => string>>();

/** `system` answered `key()` for the current attempt, if any; made only if an odd answer asks. */
export function noteAsked(system: string, key: () => string): void {
  const scope = storage.getStore();
  if (!scope) return;
  let bySystem = lastAsked.get(scope);
  if (!bySystem) lastAsked.set(scope, (bySystem = new Map()));
  bySystem.set(system, key);
}

/**
 * The request `system` last answered in the current attempt: the one whose answer is being read
 * when it is asked right after it came (its decoding runs before any other answer's I/O).
 */
export function askedOfAttempt(system: string): string | undefined {
  const scope = storage.getStore();
  return scope ? lastAsked.get(scope)?.get(system)?.() : undefined;
}
