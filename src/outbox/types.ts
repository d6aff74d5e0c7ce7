import type { MediatorError } from '../domain/errors.js';
import type { GivenUpError } from './errors.js';
import type { JobStatus, OutboxJob, TransactionEntries } from '../store/types.js';
import type { StepJournal, WriteResult } from '../routing/ports.js';

/** How acceptWrites answers. */
export interface AcceptOptions {
  /**
   * A write delivered at once has its end (done) settled at the store's COMMIT rather than at the
   * sync after it (Store.writesAhead), so the caller's next step (reading the upstream object
   * back) overlaps that sync. The caller must then await `store.writesAhead().onDisk()`, called
   * once the outcome has settled, before it answers anyone (issue 18: one wait for the disk fewer
   * per create). Other outcomes (refused, queued, duplicates) settle as always, on disk.
   */
  endAhead?: boolean;
  /**
   * How the request's entries map to these writes (`job`: an index into the requests), recorded
   * with them for its OpenHIM transaction update (store v24). Only a request through OpenHIM with
   * more than one entry has one.
   */
  entries?: TransactionEntries;
}

export interface AcceptWriteRequest {
  /** 'order' | 'delivery' | 'stock' | 'facility' … selects the handler together with `system`. */
  flow: string;
  system: string;
  /**
   * The business identifier (SupplyRequest identifier, order number, InventoryReport identifier,
   * If-None-Exist query). Never the OpenHIM transaction id: a rerun carries a new one.
   */
  idempotencyKey: string;
  /** Hash of the canonical payload (see hashPayload); computed from `payload` when absent. */
  payloadHash?: string;
  payload: unknown;
  /** How long the client may wait for the upstream before getting 202; default from options. */
  deadlineMs?: number;
  /** Recorded on the job for tracing (OpenHIM X-OpenHIM-TransactionID). */
  transactionId?: string;
  /** FHIR ids this write answers for, recorded with the job so a read finds it before and after delivery. */
  links?: { flow: string; fhirId: string; primary?: boolean; whenCreated?: boolean }[];
  /**
   * The job of an earlier write of the same resource that is still pending or in flight, for a
   * flow registered `inOrder`: this write is recorded and answered as queued, not attempted now,
   * and the worker delivers it after that one.
   */
  behind?: string;
  /**
   * For a flow registered `inOrder`: the record in this system the write is for (FlowSpec.writeKey,
   * else the FHIR id). Writes of one system, flow and key are delivered in the order accepted.
   */
  orderKey?: string;
}

export interface DoneOutcome {
  kind: 'done';
  jobId: string;
  result: WriteResult;
}
export interface QueuedOutcome {
  kind: 'queued';
  jobId: string;
  status: JobStatus;
  reason: string;
  /**
   * Status 'dead' (given up, kept for an operator): settled until an operator retries it, so the
   * client and every resend are answered this at once, not 202 (README "How a write travels").
   */
  givenUp?: GivenUpError;
}
/**
 * The write is not done and the client gets `error`: the upstream's refusal (4xx; the job is
 * 'rejected'), or a 500 for an internal error (the job is dead-lettered for an operator).
 */
export interface RejectedOutcome {
  kind: 'rejected';
  jobId: string;
  error: MediatorError;
}
export type FirstOutcome = DoneOutcome | QueuedOutcome | RejectedOutcome;
/** The same key and payload again: `previous` is the first write's outcome (now, or when the deadline ran out). */
export interface DuplicateOutcome {
  kind: 'duplicate';
  jobId: string;
  previous: FirstOutcome;
}
/** done → 201, queued → 202, rejected → error.status, duplicate → as `previous`. */
export type WriteOutcome = FirstOutcome | DuplicateOutcome;

export interface DeliveryContext {
  /**
   * 1 for the first attempt. Greater than 1 means an earlier attempt may have reached the
   * upstream and been applied with its answer lost (timeout, reset, crash): a handler for an
   * upstream without idempotency keys must look the business key up before writing again.
   * An operator's replay of a dead or rejected job is never 1 (see deliveryAttempt).
   */
  attempt: number;
  /** Aborted when the attempt times out; pass it to fetch/undici. */
  signal: AbortSignal;
  /**
   * Waits until outbox job `jobId` is no longer in flight (done, refused, back to pending or given
   * up), or `ms` passes, giving this attempt's delivery slot to other writes meanwhile: for a write
   * that must follow another one under way (a facility after its parent's create). Only a job
   * under way in this process is waited for (its attempt's end is known here): false at once when
   * another instance has it, so the write looks again later. Throws (uncharged, due again at once)
   * when the slot cannot be had back in time. Given by the outbox; absent where a handler is
   * called directly.
   */
  awaitJob?(jobId: string, ms: number): Promise<boolean>;
}

/**
 * Delivers one job to its upstream. Throw UpstreamError{transient:true} (or let network errors
 * escape) to retry; throw any other MediatorError to reject the write for good. Anything else
 * (a TypeError …) is a bug: the job is dead-lettered at once (src/outbox/failures.ts).
 */
export type DeliveryHandler = (job: OutboxJob, journal: StepJournal, ctx: DeliveryContext) => Promise<WriteResult>;

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
}

export interface OutboxOptions {
  /** Names this process in lease tokens and logs; default host-pid-random. */
  instanceId: string;
  /** How long a claim holds a job; must exceed attemptTimeoutMs so a live attempt is never re-claimed. */
  leaseMs: number;
  /** An attempt that runs longer is aborted and counted as a transient failure. */
  attemptTimeoutMs: number;
  /**
   * After an attempt whose last request timed out (the upstream may still apply it after we
   * stopped waiting), the next attempt waits at least this long before it looks at the upstream
   * again, so the look-up sees that late write instead of writing a second time.
   */
  settleMs: number;
  /** Default client deadline of acceptWrite. */
  deadlineMs: number;
  backoff: BackoffOptions;
  /** Simultaneous attempts per system in this process, default and per system. */
  concurrency: { default: number; perSystem: Record<string, number> };
  /**
   * Consecutive transient failures that open a system's breaker, and how long it stays open
   * (outbox.breakerFailures, outbox.breakerOpenMs): read when used, so a live change applies.
   */
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** How often the worker looks for due jobs when it is not woken earlier. */
  pollMs: number;
  /** How often a duplicate request re-reads a first write that another instance is delivering. */
  duplicatePollMs: number;
}

export const DEFAULT_OUTBOX_OPTIONS: Omit<OutboxOptions, 'instanceId'> = {
  leaseMs: 120_000,
  attemptTimeoutMs: 60_000,
  settleMs: 30_000,
  deadlineMs: 10_000,
  backoff: { baseMs: 2_000, capMs: 10 * 60_000, maxAttempts: 15 },
  concurrency: { default: 4, perSystem: {} },
  breaker: { consecutiveFailures: 5, halfOpenAfterMs: 30_000 },
  pollMs: 1_000,
  duplicatePollMs: 100,
};

/** Minimal logger (pino's signature subset), so tests can pass nothing. */
export interface OutboxLogger {
  /** Optional: repeats said once at info go here (delivery-log.ts). */
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
