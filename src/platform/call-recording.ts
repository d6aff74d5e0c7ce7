/**
 * Per-request record of upstream calls, carried by AsyncLocalStorage so the upstream HTTP clients
 * (written per system) need no request object threaded through the connectors: they call
 * `recordUpstreamCall` after each call, and the OpenHIM plugin turns the list into orchestrations.
 * Raw values are recorded; masking and truncation happen once, when the envelope is built.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export type HeaderValues = Record<string, string | string[] | number | undefined>;

export interface UpstreamCall {
  /** Orchestration name shown in the OpenHIM console; default `<system> <METHOD> <path>`. */
  name?: string;
  /** Which upstream system (openlmis, dhis2, msupply, openmrs, mfr …). */
  system?: string;
  method: string;
  /** Full URL including the query string. */
  url: string;
  requestHeaders?: HeaderValues;
  /** string, bytes, or a JSON-serialisable value. */
  requestBody?: unknown;
  startedAt: Date | number;
  endedAt?: Date | number;
  /** Absent when no response arrived (timeout, reset, refused). */
  response?: {
    status: number;
    headers?: HeaderValues;
    body?: unknown;
  };
  /** Transport or decoding failure, in words safe to show an operator. */
  error?: { message: string; code?: string };
}

interface OrchestrationStore {
  calls: UpstreamCall[];
  /** The store of the context it was entered from: it records each call too (runNestedRecording). */
  outer?: OrchestrationStore;
  /** A write of the request was accepted but not delivered yet (noteWriteAccepted). */
  writeAccepted?: boolean;
  /** The outbox jobs the request's writes under its OpenHIM transaction id are (noteTransactionJobs). */
  transactionJobs?: string[];
  /** Names the request among others under the same OpenHIM transaction id (requestKeyOf). */
  requestKey?: string;
  /** Its client closed the connection before it was answered (noteClientGone). */
  clientGone?: boolean;
  /** Told of the writes recorded for it once its client is gone (noteClientGone). */
  onGoneWrites?: (jobIds: readonly string[]) => void;
}

const storage = new AsyncLocalStorage<OrchestrationStore>();

/** A fresh store; the Fastify plugin keeps it on the request so onSend can read it outside the async context. */
export function createOrchestrationStore(): OrchestrationStore {
  return { calls: [] };
}

export function runWithOrchestrations<T>(fn: () => T, store: OrchestrationStore = createOrchestrationStore()): T {
  return storage.run(store, fn);
}

type UpstreamObserver = (call: UpstreamCall) => void;
const observers = new Set<UpstreamObserver>();

/**
 * Sees every upstream call, inside a request or in a background job (metrics). Returns the
 * function that stops observing.
 */
export function observeUpstreamCalls(observer: UpstreamObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/**
 * Records a call for the OpenHIM orchestrations when inside `runWithOrchestrations` (returns
 * false elsewhere, e.g. in background jobs); observers see it either way.
 */
export function recordUpstreamCall(call: UpstreamCall): boolean {
  for (const observe of observers) observe(call);
  const store = storage.getStore();
  if (!store) return false;
  for (let s: OrchestrationStore | undefined = store; s; s = s.outer) s.calls.push(call);
  return true;
}

/**
 * Runs `fn` recording its upstream calls into a store of its own (returned beside its end, thrown
 * or not), while the context it runs in keeps recording them as well: an outbox attempt made
 * while a client waits is still in that request's orchestrations.
 */
export async function runNestedRecording<T>(
  fn: () => Promise<T>,
): Promise<{ calls: UpstreamCall[]; result: PromiseSettledResult<T> }> {
  const store: OrchestrationStore = { calls: [], outer: storage.getStore() };
  const [result] = await Promise.allSettled([(async () => storage.run(store, fn))()]);
  return { calls: store.calls, result };
}

/**
 * Notes that a write of the current request was accepted and queued, not delivered: its client is
 * answered 202, and the OpenHIM transaction it came in (if any) awaits its final state from the
 * mediator (openhim/transaction-ownership.ts). Nothing outside a request.
 */
export function noteWriteAccepted(): void {
  const store = storage.getStore();
  if (store) store.writeAccepted = true;
}

/** Whether a write of the request the store records was accepted, not delivered (noteWriteAccepted). */
export function writeAcceptedIn(store: OrchestrationStore): boolean {
  return store.writeAccepted === true;
}

/**
 * Whether the request being handled had a write accepted, not delivered (writeAcceptedIn): its
 * OpenHIM transaction awaits our update. Undefined outside a recorded request (no OpenHIM envelope).
 */
export function currentWriteAccepted(): boolean | undefined {
  const store = storage.getStore();
  return store && writeAcceptedIn(store);
}

/**
 * Notes that the client of the request `store` records closed its connection before its answer
 * was sent: OpenHIM gave up on it (its channel timeout) and recorded the transaction as failed.
 * `onWrites` is told of the writes noted for it (noteTransactionJobs): those noted already, and
 * those noted after, whose record was under way when the client went (past Outbox.acceptWrites'
 * check): they are delivered all the same, and must be said as the others are.
 */
export function noteClientGone(store: OrchestrationStore, onWrites?: (jobIds: readonly string[]) => void): void {
  store.clientGone = true;
  store.onGoneWrites = onWrites;
  if (onWrites && store.transactionJobs?.length) onWrites(store.transactionJobs);
}

/** Whether the client of the request being handled is gone (noteClientGone); false outside a recorded request. */
export function currentClientGone(): boolean {
  return storage.getStore()?.clientGone === true;
}

/**
 * Notes the outbox jobs the current request's writes were recorded as, or answered from, under its
 * OpenHIM transaction id: the update that transaction may be owed is built from those jobs, and
 * its envelope names them (openhim/routed-writes.ts). Nothing outside a request.
 */
export function noteTransactionJobs(jobIds: readonly string[]): void {
  const store = storage.getStore();
  if (!store || jobIds.length === 0) return;
  (store.transactionJobs ??= []).push(...jobIds);
  if (store.clientGone) store.onGoneWrites?.(jobIds);
}

/** The jobs noted by noteTransactionJobs in the request the store records, in order noted. */
export function transactionJobsIn(store: OrchestrationStore): readonly string[] {
  return store.transactionJobs ?? [];
}

/**
 * The key of the request `store` records, made on first use: a client can send the id of a real
 * OpenHIM transaction, so the Bundle entry answers and the request kept for that transaction's
 * update (store v48) say which request they are of, and the update takes the routed one's alone.
 * A nested store (runNestedRecording) is its outermost request's.
 */
export function requestKeyOf(store: OrchestrationStore): string {
  let request = store;
  while (request.outer) request = request.outer;
  return (request.requestKey ??= randomUUID());
}

/** The key of the request being handled (requestKeyOf), undefined outside a request. */
export function currentRequestKey(): string | undefined {
  const store = storage.getStore();
  return store && requestKeyOf(store);
}

/** The calls recorded so far in the current context, in order of recording (a copy). */
export function currentOrchestrations(): UpstreamCall[] {
  return [...(storage.getStore()?.calls ?? [])];
}

export function callsOf(store: OrchestrationStore): UpstreamCall[] {
  return [...store.calls];
}

export type { OrchestrationStore };
