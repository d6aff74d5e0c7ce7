import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel';
import {
  ClientGoneError,
  ConflictError,
  InvalidInputError,
  MediatorError,
  NotConfiguredError,
} from '../domain/errors.js';
import { withinDeadline } from '../platform/deadline.js';
import { RERUN_UPDATES_PER_JOB } from '../store/rerun-updates.js';
import { PayloadConflict, type JobAttempt, type JobOutcome, type OutboxJob, type Store } from '../store/types.js';
import { retryDelayMs } from './backoff.js';
import { BreakerSet, heldAloneLimitMs, type SystemBreaker } from './breakers.js';
import {
  AttemptTimeoutError,
  GivenUpError,
  KeyTakenError,
  SlotTakenMeanwhile,
  describeError,
  isUnknownOutcome,
  reviveError,
  toStoredError,
} from './errors.js';
import {
  ambiguousFailure,
  classifyFailure,
  credentialsRefusedRetryAt,
  INTERNAL_ERROR,
  internalError,
  retryAtOf,
} from './failures.js';
import { notBeforeOf } from '../upstream/retry-after.js';
import { runInAttempt, type AttemptScope } from '../upstream/attempt-scope.js';
import { HandlerRegistry } from './handlers.js';
import { hashPayload } from './hash.js';
import { newJobId } from './job-id.js';
import { StoreStepJournal } from './journal.js';
import { NO_METRICS, type OutboxMetrics } from './metrics.js';
import { outboxOptionProblems } from './option-bounds.js';
import { Semaphore } from './semaphore.js';
import { currentClientGone, noteTransactionJobs, noteWriteAccepted } from '../platform/call-recording.js';
import { AttemptSlot } from './attempt-slot.js';
import { lastAttemptHold, ownSystemServesNobody } from './last-attempt-hold.js';
import { sharedAnswers } from './shared-answers.js';
import { acceptOnDisk } from './accept-on-disk.js';
import { DeliveryLog } from './delivery-log.js';
import { StoreOutageLog } from './store-outage-log.js';
import { LeaseHolding } from './lease-holding.js';
import {
  DEFAULT_OUTBOX_OPTIONS,
  type AcceptOptions,
  type AcceptWriteRequest,
  type BackoffOptions,
  type DeliveryHandler,
  type FirstOutcome,
  type OutboxLogger,
  type OutboxOptions,
  type QueuedOutcome,
  type WriteOutcome,
} from './types.js';

export interface OutboxSettings extends Partial<Omit<OutboxOptions, 'backoff' | 'concurrency' | 'breaker'>> {
  backoff?: Partial<BackoffOptions>;
  concurrency?: Partial<OutboxOptions['concurrency']>;
  breaker?: Partial<OutboxOptions['breaker']>;
}

export interface OutboxDeps {
  store: Store;
  /**
   * Called once a job reaches its final state after its client was already answered (202, or
   * a crash): the place to tell OpenHIM the transaction's final status. Errors are logged only.
   */
  onSettled?: (job: OutboxJob) => Promise<void> | void;
  /**
   * Whether a job owes its OpenHIM transaction an update when it settles after its client was
   * answered (it came through OpenHIM, and an OpenHIM is configured to tell). The job's end then
   * records the debt in its own statement, so neither a crash before onSettled ran nor an OpenHIM
   * down for long loses it: a sweep (src/openhim/transaction-update-sweep.ts) sends what is owed.
   */
  owesTransactionUpdate?: (job: OutboxJob) => boolean;
  /**
   * How long a recorded debt waits before a sweep may send it: onSettled, in this process, has it
   * first (default 30 s, longer than one send may take).
   */
  transactionUpdateGraceMs?: number;
  /**
   * Runs each delivery attempt (its handler's call): what OpenHIM's transaction update shows of
   * the attempt that ended a job, its upstream calls, is recorded here (src/openhim/final-attempts.ts).
   */
  aroundAttempt?: <T>(job: OutboxJob, attempt: () => Promise<T>) => Promise<T>;
  /**
   * The calls of the attempt that ends a job owing its transaction an update, as the JSON text the
   * job's end stores with the debt (migration v46), so an update sent after a restart, or by
   * another instance, still shows them; undefined: none to keep.
   */
  finalCallsOf?: (job: OutboxJob) => string | undefined;
  /**
   * Whether `system` answers its readiness check now (a connector's ping). Asked only before a
   * write held for a while (heldAloneTooLong) is charged past the bound: a write failing while its
   * system answers is its own failure; while the system does not (nginx's 502 with the backend
   * down, a maintenance page, a host unreachable), it is an outage, held however long. Absent:
   * such a write is held however long, as a down system's. Asked too before a write whose last
   * attempt failed so is dead-lettered (heldAtLastAttempt): another instance's breaker, or this
   * one's before a restart, may have charged attempts an open breaker would have held. One check
   * per system at a time, a failing answer shared for ANSWER_FRESH_MS (shared-answers.ts).
   */
  systemAnswers?: (system: string) => Promise<boolean>;
  options?: OutboxSettings;
  metrics?: OutboxMetrics;
  logger?: OutboxLogger;
}

interface WorkerState {
  stopped: boolean;
  woken: boolean;
  wake: () => void;
  loop: Promise<void>;
}

const SILENT: OutboxLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function resolveOutboxOptions(s: OutboxSettings = {}): OutboxOptions {
  const d = DEFAULT_OUTBOX_OPTIONS;
  const options: OutboxOptions = {
    ...d,
    ...s,
    instanceId: s.instanceId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    backoff: { ...d.backoff, ...s.backoff },
    concurrency: {
      default: s.concurrency?.default ?? d.concurrency.default,
      perSystem: { ...d.concurrency.perSystem, ...s.concurrency?.perSystem },
    },
    breaker: { ...d.breaker, ...s.breaker },
  };
  const problems = outboxOptionProblems(options);
  if (problems.length) throw new Error(problems.join('; '));
  if (options.attemptTimeoutMs >= options.leaseMs) {
    throw new Error(
      `outbox: attemptTimeoutMs (${options.attemptTimeoutMs}) must be below leaseMs (${options.leaseMs}), or a live attempt could be taken over`,
    );
  }
  return options;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * An AbortSignal made only when asked for: an AbortController costs a few µs and an object V8
 * must collect (Node's makeTransferable), and a handler whose client takes no signal never asks
 * (issue 18). Once `abort` has run, a signal asked for later is already aborted.
 */
class LazyAbort implements AttemptScope {
  private controller?: AbortController;
  private reason?: unknown;
  /** The systems the attempt sent a request (its breaker decides only on an attempt that called it). */
  readonly systemsCalled = new Set<string>();
  /**
   * The systems of its calls still waiting for an answer, oldest first (one entry a call, from
   * before it waits for a connection to its last retry's end: attempt-scope.ts noteAsking; every
   * request goes out inside one, so requests are not counted again).
   */
  private readonly waiting: string[] = [];

  /**
   * `system`: the job's own. `writesAfter`: the accept's sync, when it was not on disk as the
   * attempt began (accept-on-disk.ts).
   */
  constructor(
    private readonly system: string,
    readonly writesAfter?: Promise<void>,
  ) {}

  calling(system: string): void {
    this.systemsCalled.add(system);
  }

  /** A call made: waited on until it ends, sent or still waiting for a connection or a retry (attempt-scope.ts noteAsking). */
  asking(system: string): void {
    this.waiting.push(system);
  }

  ended(system: string): void {
    const i = this.waiting.indexOf(system);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /**
   * The system a timed-out attempt was waiting on (AttemptTimeoutError): its own while a request
   * to it is unanswered, else the other system asked longest ago and still unanswered, else none
   * (the own-system rule). Not merely the latest asked: a facility's parent is asked of every
   * other system at once (routing/facility-parent.ts), and the last to be asked may have answered
   * while the first hangs; a request of another system made beside the own one's hanging write
   * would otherwise take the own system's outage for the other's (its breaker not counting it, its
   * write dead-lettered while the other answers its check).
   */
  waitedOn(): string | undefined {
    return this.waiting.includes(this.system) ? this.system : this.waiting[0];
  }

  get abandonedBy(): unknown {
    return this.reason;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/** Runs `fn` in the attempt scope `ac`, aborting its signal and rejecting after `ms` even if `fn` ignores the signal. */
function runWithTimeout<T>(fn: (abort: LazyAbort) => Promise<T>, ms: number, ac: LazyAbort): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new AttemptTimeoutError(ms, ac.waitedOn());
      ac.abort(err);
      reject(err);
    }, ms);
    fn(ac).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * How long an attempt starting now may run: until attemptTimeoutMs after the job's lease began.
 * The lease (leaseMs) is sized for a whole attempt plus a margin in which the last upstream
 * request of an abandoned attempt still lands; a write that first waited for a delivery slot has
 * spent part of it, and an attempt given the full attemptTimeoutMs then would still be writing
 * when the lease ends and another worker takes the job over (seen: a stock event posted twice).
 */
export function attemptBudgetMs(
  job: Pick<OutboxJob, 'leaseUntil'>,
  options: Pick<OutboxOptions, 'attemptTimeoutMs' | 'leaseMs'>,
  now: number,
): number {
  if (job.leaseUntil === undefined) return options.attemptTimeoutMs;
  const leasedAt = job.leaseUntil - options.leaseMs;
  return Math.min(options.attemptTimeoutMs, leasedAt + options.attemptTimeoutMs - now);
}

/**
 * The attempt number a handler sees. Above 1 whenever an attempt ran before, also after an
 * operator's retry: that resets the attempt budget (attempts = 0) but not the history (lastError
 * stays), and the earlier attempt may have reached the upstream before it failed (a TypeError
 * reading the answer, a timeout before a dead letter), so the handler must look before writing.
 */
export function deliveryAttempt(job: Pick<OutboxJob, 'attempts' | 'lastError'>): number {
  return job.lastError !== undefined ? Math.max(2, job.attempts) : job.attempts;
}

/** One attempt of `job` as the job's timeline keeps it (job_attempts). */
function attemptRecord(job: OutboxJob, startedAt: number, outcome: FirstOutcome, err?: unknown): JobAttempt {
  const outcomeName: JobAttempt['outcome'] =
    outcome.kind === 'done'
      ? 'done'
      : outcome.kind === 'rejected'
        ? 'rejected'
        : outcome.status === 'dead'
          ? 'dead'
          : err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError
            ? 'deferred'
            : 'retry';
  return {
    jobId: job.id,
    startedAt,
    endedAt: Date.now(),
    attempt: job.attempts,
    // the budget it ran in, as claimed: a retry may come before this is noted (operator-retries.ts)
    ...(job.requeues ? { requeues: job.requeues } : {}),
    outcome: outcomeName,
    ...(err !== undefined ? { detail: describeError(err) } : {}),
  };
}

/** The outcome a stored job stands for now. */
export function outcomeOfJob(job: OutboxJob): FirstOutcome {
  switch (job.status) {
    case 'done':
      return { kind: 'done', jobId: job.id, result: job.result! };
    case 'rejected':
      return { kind: 'rejected', jobId: job.id, error: reviveError(job.error!) };
    case 'dead':
      // failed by an internal error: a duplicate is answered as the first request was, 500
      if (job.error?.name === INTERNAL_ERROR) return { kind: 'rejected', jobId: job.id, error: reviveError(job.error) };
      return {
        kind: 'queued',
        jobId: job.id,
        status: 'dead',
        reason: `delivery gave up after ${job.attempts} attempts (${job.lastError ?? 'unknown error'}); an operator can retry it`,
        givenUp: new GivenUpError(job),
      };
    case 'in-flight':
      return { kind: 'queued', jobId: job.id, status: 'in-flight', reason: 'delivery to the upstream is in progress' };
    default:
      return {
        kind: 'queued',
        jobId: job.id,
        status: 'pending',
        reason: job.lastError ? `queued for retry after: ${job.lastError}` : 'queued for delivery',
      };
  }
}

/**
 * The durable write path (DESIGN §3): a write is stored with its idempotency key in one
 * transaction before any upstream call, delivered at once within the client's deadline, and
 * otherwise retried by the worker with backoff, per-system concurrency limits and a circuit
 * breaker per system, until it is delivered, rejected or dead-lettered.
 */
export class Outbox {
  readonly options: OutboxOptions;
  private readonly store: Store;
  private readonly metrics: OutboxMetrics;
  private readonly logger: OutboxLogger;
  /** The workers' word on a database outage: said once, not at every pass (store-outage-log.ts). */
  private outageLog?: StoreOutageLog;
  /** What the log says of retries, deferrals and late refusals (delivery-log.ts). */
  private readonly deliveryLog: DeliveryLog;
  /** This outbox as a holder of leases, running or ended (lease-holding.ts). */
  private readonly leaseHolding: LeaseHolding;
  private readonly handlers = new HandlerRegistry();
  private readonly breakers: BreakerSet;
  private readonly semaphores = new Map<string, Semaphore>();
  /** Attempts running in this process, so duplicates can share the first one's outcome. */
  private readonly running = new Map<string, Promise<FirstOutcome>>();
  /** Running attempts whose end settles at its COMMIT (AcceptOptions.endAhead), before the disk has it. */
  private readonly endsAhead = new Set<string>();
  private worker?: WorkerState;
  /** Systems whose last worker pass may have left due jobs behind (no free slot, or a full claim). */
  private readonly mayHaveDue = new Set<string>();
  /**
   * Jobs whose client does not wait for the running attempt: a worker's, or one whose client got
   * 202 while it still ran. Their end is reported to onSettled (and may owe a transaction update).
   */
  private readonly answeredEarly = new Set<string>();
  /**
   * Running attempts of acceptWrites whose end is being recorded as the waiting client's answer,
   * owing no transaction update: that client waits for it past its deadline (deliverNow), since a
   * 202 now would leave its OpenHIM transaction Processing with nothing recorded to mend it.
   */
  private readonly endingForClient = new Set<string>();
  /** onSettled reports still running, so idle() (and stop) wait for them too. */
  private readonly reporting = new Set<Promise<void>>();
  private readonly onSettled?: OutboxDeps['onSettled'];
  private readonly owesTransactionUpdate?: OutboxDeps['owesTransactionUpdate'];
  private readonly transactionUpdateGraceMs: number;
  private readonly aroundAttempt: NonNullable<OutboxDeps['aroundAttempt']>;
  private readonly finalCallsOf?: OutboxDeps['finalCallsOf'];
  private readonly systemAnswers?: OutboxDeps['systemAnswers'];

  constructor(deps: OutboxDeps) {
    this.aroundAttempt = deps.aroundAttempt ?? ((_job, attempt) => attempt());
    this.finalCallsOf = deps.finalCallsOf;
    // one check per system shared by every held write asking (shared-answers.ts), not one each
    this.systemAnswers = deps.systemAnswers && sharedAnswers(deps.systemAnswers);
    this.onSettled = deps.onSettled;
    this.owesTransactionUpdate = deps.owesTransactionUpdate;
    this.transactionUpdateGraceMs = deps.transactionUpdateGraceMs ?? 30_000;
    this.store = deps.store;
    this.options = resolveOutboxOptions(deps.options);
    this.metrics = deps.metrics ?? NO_METRICS;
    this.logger = deps.logger ?? SILENT;
    this.deliveryLog = new DeliveryLog(this.logger);
    this.leaseHolding = new LeaseHolding(this.store, this.options.instanceId, this.logger, this.options);
    this.breakers = new BreakerSet(this.options.breaker, this.logger, this.options.backoff);
  }

  /**
   * Each system's circuit breaker in this process: closed, open, or letting a probe through; at a
   * later `now`, what it will do then if nothing changes (when its probe is due).
   */
  breakerGates(now = Date.now()): Record<string, 'closed' | 'probe' | 'open'> {
    return this.breakers.gates(now);
  }

  /**
   * Plug in the delivery of one flow to one system (a connector capability). `inOrder`: the jobs
   * of one resource (the payload's id) reach the system in the order they were accepted; a later
   * one waits while an earlier one is pending or in flight, whatever its retry time.
   */
  register(flow: string, system: string, handler: DeliveryHandler, opts: { inOrder?: boolean } = {}): void {
    this.handlers.register(flow, system, handler, opts);
  }

  getJob(id: string): Promise<OutboxJob | undefined> {
    return this.store.getJob(id);
  }

  findByKey(idempotencyKey: string): Promise<OutboxJob[]> {
    return this.store.findJobsByKey(idempotencyKey);
  }

  /**
   * Persist, then try to deliver before `deadlineMs`. Throws NotConfiguredError (no handler),
   * InvalidInputError (no key) and KeyTakenError 409 (same key, different payload).
   */
  async acceptWrite(req: AcceptWriteRequest): Promise<WriteOutcome> {
    return (await this.acceptWrites([req]))[0];
  }

  /**
   * Several writes accepted together (a FHIR transaction Bundle): recorded in one store
   * transaction, so all are accepted or none (a conflict on any key records nothing), then
   * delivered concurrently, each within its deadline.
   */
  async acceptWrites(reqs: AcceptWriteRequest[], options: AcceptOptions = {}): Promise<WriteOutcome[]> {
    for (const req of reqs) {
      if (!this.handlers.get(req.flow, req.system)) throw new NotConfiguredError(req.flow, [req.system]);
      if (!req.idempotencyKey?.trim())
        throw new InvalidInputError(`A ${req.flow} write needs a business identifier to deduplicate on`, 'identifier');
    }
    // its client gave up while it was checked (slow reference reads): recorded, it would be applied
    // while OpenHIM shows the transaction failed; unrecorded, OpenHIM's rerun applies it once
    if (currentClientGone()) throw new ClientGoneError();
    const now = Date.now();
    const jobs = reqs.map((req) => {
      const leaseOwner = this.leaseToken();
      return {
        id: newJobId(now),
        flow: req.flow,
        system: req.system,
        idempotencyKey: req.idempotencyKey,
        payloadHash: req.payloadHash ?? hashPayload(req.payload),
        payload: req.payload,
        status: 'in-flight' as const,
        attempts: 1,
        nextAttemptAt: now,
        leaseOwner,
        leaseUntil: now + this.options.leaseMs,
        // this outbox's own attempt end: a peer with other settings judges the lease by it (attempt-ends.ts)
        attemptEndsAt: now + this.options.attemptTimeoutMs,
        transactionId: req.transactionId,
        createdAt: now,
        orderKey: req.orderKey,
      };
    });
    const links = reqs.flatMap((req, i) =>
      (req.links ?? []).map((l) => ({ ...l, system: req.system, jobId: jobs[i].id })),
    );
    // Recorded on disk before its delivery starts. 181e534 settled it at its COMMIT so the first
    // reads overlapped its fsync (one serial wait fewer per OpenLMIS order), but that reordering
    // lost a registry change: a review undo planned while the held change's job was ending found
    // the job's end and its own plan in another order, and the change was never written
    // (decision-while-hold-ends, 1 run in 3). The waits on the sync stay (accept-on-disk.ts): they
    // resolve at once for a write already on disk.
    const ahead = this.store.writesAhead();
    let recorded;
    try {
      recorded = await this.store.recordWrites(jobs, links, options.entries);
    } catch (err) {
      // a conflict may rest on a row not on disk yet: answered once it is
      await ahead.onDisk();
      if (err instanceof PayloadConflict) {
        const req = reqs.find((r) => r.idempotencyKey === err.idempotencyKey)!;
        throw new KeyTakenError(err.idempotencyKey, err.jobId, req.flow, req.payload);
      }
      throw err;
    }
    const accepted = acceptOnDisk(ahead);
    // the jobs an update of the request's OpenHIM transaction is built from: its envelope names them
    noteTransactionJobs(recorded.flatMap((r, i) => (reqs[i].transactionId === undefined ? [] : [r.job.id])));
    let outcomes: WriteOutcome[];
    try {
      outcomes = await Promise.all(
        recorded.map(async (r, i): Promise<WriteOutcome> => {
          const deadlineAt = now + (reqs[i].deadlineMs ?? this.options.deadlineMs);
          if (!r.created)
            return this.answerDuplicate(r.job, reqs[i].transactionId, deadlineAt, sharesTransaction(reqs, i));
          // a refused write does not keep its key: this one is evaluated afresh (the store audits it)
          if (r.supersedes)
            this.logger.info(
              { jobId: r.job.id, supersedes: r.supersedes, flow: r.job.flow, system: r.job.system },
              'outbox: a write takes over the key of a refused one',
            );
          // behind an earlier write of its resource: not attempted before it (the claim keeps the order).
          // The caller knows of the system of record's last job; a secondary target's earlier job
          // (in backoff at DHIS2 while OpenLMIS took it) only the store sees.
          if (
            reqs[i].behind ||
            (this.handlers.isInOrder(r.job.flow, r.job.system) && (await this.store.waitsBehind(r.job.id)))
          )
            return this.defer(
              r.job,
              jobs[i].leaseOwner,
              now,
              `an earlier write of it is still waiting to be delivered to ${r.job.system}; this one is delivered after it`,
            );
          // the lease as recorded: the attempt must end inside it (attemptBudgetMs)
          const job = { ...r.job, leaseUntil: jobs[i].leaseUntil };
          return this.deliverNow(job, jobs[i].leaseOwner, deadlineAt, options.endAhead === true, accepted.writesAfter);
        }),
      );
    } catch (err) {
      // an error answer too waits for the accept's sync: it may already be on disk (a resend is then a duplicate)
      await accepted.answered.catch(() => undefined);
      throw err;
    }
    // nobody is answered before the accept is on disk, whatever the outcome
    await accepted.answered;
    // one answered before its end (202) leaves its OpenHIM transaction awaiting an update from us
    if (outcomes.some((o, k) => reqs[k].transactionId !== undefined && answeredUnfinished(o))) noteWriteAccepted();
    return outcomes;
  }

  /** Start the background worker (idempotent). */
  startWorker(): void {
    if (this.worker) return;
    const w: WorkerState = {
      stopped: false,
      woken: false,
      wake: () => {
        w.woken = true;
      },
      loop: Promise.resolve(),
    };
    this.worker = w;
    w.loop = this.workerLoop(w);
  }

  /** Stop claiming; wait up to `drainMs` for running attempts (the rest return after their lease). */
  async stop(drainMs = 10_000): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) {
      w.stopped = true;
      w.wake();
      await w.loop;
    }
    await withinDeadline(this.idle(), drainMs);
  }

  /** Resolves when no attempt (and no report of a settled one) runs in this process. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.reporting.size > 0)
      await Promise.allSettled([...this.running.values(), ...this.reporting]);
  }

  /** One worker pass over every registered system; returns how many jobs it started. */
  async runOnce(): Promise<number> {
    let started = 0;
    for (const system of this.handlers.systems()) {
      const gate = this.breakers.for(system).gate();
      if (gate === 'open') {
        this.mayHaveDue.add(system);
        continue;
      }
      const sem = this.semaphore(system);
      const limit = gate === 'probe' ? Math.min(1, sem.available()) : sem.available();
      if (limit <= 0) {
        this.mayHaveDue.add(system); // not looked: a freed slot should look
        continue;
      }
      const leaseOwner = this.leaseToken();
      const now = Date.now();
      const jobs = await this.store.claimJobs({
        system,
        flows: this.handlers.flows(system),
        inOrder: this.handlers.inOrder(system),
        limit,
        leaseOwner,
        leaseMs: this.options.leaseMs,
        attemptTimeoutMs: this.options.attemptTimeoutMs,
        now,
      });
      // fewer than asked for: nothing else is due now; a freed slot need not look again before
      // the next poll (a deferred job wakes the worker itself). Saves a claim query per write.
      if (jobs.length < limit) this.mayHaveDue.delete(system);
      else this.mayHaveDue.add(system);
      for (const job of jobs) {
        // acceptWrite may have taken the slot while the claim was in the database
        if (!sem.tryAcquire()) {
          await this.store.rescheduleJob(job.id, leaseOwner, Date.now(), undefined, true, Date.now());
          continue;
        }
        if (job.leaseTakenFrom !== undefined) this.deliveryLog.tookOver(job, job.leaseTakenFrom);
        void this.track(job, leaseOwner, sem, 'worker');
        started += 1;
      }
    }
    return started;
  }

  // internals ---------------------------------------------------------------------------------

  private leaseToken(): string {
    this.leaseHolding.mark(); // before any lease is stored: a lease is never of an unmarked holder
    return `${this.options.instanceId}:${randomUUID()}`;
  }

  private semaphore(system: string): Semaphore {
    let s = this.semaphores.get(system);
    if (!s) {
      s = new Semaphore(this.options.concurrency.perSystem[system] ?? this.options.concurrency.default);
      this.semaphores.set(system, s);
    }
    return s;
  }

  private async deliverNow(
    job: OutboxJob,
    leaseOwner: string,
    deadlineAt: number,
    endAhead: boolean,
    writesAfter: Promise<void>,
  ): Promise<FirstOutcome> {
    const breaker = this.breakers.for(job.system);
    if (breaker.gate() === 'open') {
      return this.defer(
        job,
        leaseOwner,
        breaker.reopensAt(),
        `${job.system} is failing (circuit open); the write is queued and will be retried`,
        true,
      );
    }
    const sem = this.semaphore(job.system);
    if (!(await sem.acquire(deadlineAt - Date.now()))) {
      return this.defer(job, leaseOwner, Date.now(), `${job.system} is busy (concurrency limit); the write is queued`);
    }
    // the wait for the slot used up half the attempt's time: the worker starts it afresh, with a new lease
    if (attemptBudgetMs(job, this.options, Date.now()) < this.options.attemptTimeoutMs / 2) {
      sem.release();
      return this.defer(job, leaseOwner, Date.now(), `${job.system} is busy (concurrency limit); the write is queued`);
    }
    const tracked = this.track(job, leaseOwner, sem, 'now', endAhead, writesAfter);
    let outcome = await withinDeadline(tracked, deadlineAt - Date.now());
    // its end is being recorded as this client's answer, owing OpenHIM nothing: it is the answer
    if (!outcome && this.endingForClient.has(job.id)) outcome = await tracked;
    if (!outcome) this.answeredEarly.add(job.id);
    return (
      outcome ?? {
        kind: 'queued',
        jobId: job.id,
        status: 'in-flight',
        reason: `${job.system} has not answered within the deadline; delivery continues and is retried if it fails`,
      }
    );
  }

  /**
   * Give a job back without attempting it (the claim's attempt is not counted). `breakerOpen`: its
   * system is failing, so a job marked as failing with it stays marked as of now (rescheduleJob's
   * 'renew', v65); a deferral for another cause (busy, behind an earlier write) is no sign of an
   * outage and renews nothing, else a poisoned write was held as "failing together" for as long as
   * others kept being deferred.
   */
  private async defer(
    job: OutboxJob,
    leaseOwner: string,
    dueAt: number,
    reason: string,
    breakerOpen = false,
  ): Promise<QueuedOutcome> {
    this.metrics.attempt(job.system, 'deferred');
    await this.store.rescheduleJob(job.id, leaseOwner, dueAt, undefined, true, Date.now(), breakerOpen && 'renew');
    this.deliveryLog.queued(job, reason, dueAt);
    this.worker?.wake();
    return { kind: 'queued', jobId: job.id, status: 'pending', reason };
  }

  private track(
    job: OutboxJob,
    leaseOwner: string,
    sem: Semaphore,
    origin: 'now' | 'worker',
    endAhead = false,
    writesAfter?: Promise<void>,
  ): Promise<FirstOutcome> {
    // 'now': the job was recorded by this acceptWrites call a moment ago, so it has no journal yet
    // given up while the attempt waits for another job (awaitJob), so a worker short of one looks again
    const slot = new AttemptSlot(sem, () => {
      if (this.mayHaveDue.has(job.system)) this.worker?.wake();
    });
    const p: Promise<FirstOutcome> = this.attempt(
      job,
      leaseOwner,
      origin === 'now',
      endAhead,
      slot,
      writesAfter,
    ).finally(() => {
      slot.end();
      if (this.running.get(job.id) === p) {
        this.running.delete(job.id);
        this.endsAhead.delete(job.id);
        this.endingForClient.delete(job.id);
      }
      // reportSettled clears it after this; without one to report to, nothing else would
      if (!this.onSettled) this.answeredEarly.delete(job.id);
      if (this.mayHaveDue.has(job.system)) this.worker?.wake();
    });
    this.running.set(job.id, p);
    if (origin === 'worker') this.answeredEarly.add(job.id);
    if (endAhead) {
      this.endsAhead.add(job.id);
      // the end's sync is started even when no caller awaits it (a client answered 202 at its
      // deadline, a secondary target's job): a group nobody waits for is not synced on its own
      void p.then(() => this.store.writesAhead().onDisk()).catch(() => undefined);
    }
    // Reported apart from the attempt: a slow OpenHIM must not hold the upstream's slot.
    if (this.onSettled) {
      const report: Promise<void> = p
        .then(
          (outcome) => this.reportSettled(job, outcome),
          () => undefined,
        )
        .finally(() => this.reporting.delete(report));
      this.reporting.add(report);
    }
    return p;
  }

  /** A final outcome the client has not seen yet goes to onSettled (OpenHIM's transaction update). */
  private async reportSettled(job: OutboxJob, outcome: FirstOutcome): Promise<void> {
    const final = outcome.kind !== 'queued' || outcome.status === 'dead';
    // a retry the worker claimed before this attempt's promise settled is running already, and the
    // flag is its own now: cleared here, its end would owe OpenHIM nothing (seen: a Bundle's update
    // built without the job's end, because that end recorded no debt)
    if (!final && this.running.has(job.id)) return;
    const early = this.answeredEarly.delete(job.id);
    if (!final || !early) return;
    try {
      const stored = await this.store.getJob(job.id);
      if (stored) await this.onSettled!(stored);
    } catch (err) {
      this.logger.warn({ jobId: job.id, err: describeError(err) }, 'outbox: reporting a settled job failed');
    }
  }

  /**
   * When the end of `job` being recorded now owes its OpenHIM transaction an update: its client
   * was answered already (a worker's attempt, a 202), it came through OpenHIM and one is
   * configured. Due to a sweep after the grace onSettled has to send it from here. Otherwise the
   * waiting client is answered with this end, and deliverNow no longer answers it 202 meanwhile.
   */
  /** What the end of `job` records of the update it owes (none: empty): when due, and its final calls. */
  private owedUpdate(job: OutboxJob): Pick<JobOutcome, 'transactionUpdateDue' | 'openhimFinalCalls'> {
    const due = this.transactionUpdateDue(job);
    if (due === undefined) return {};
    const calls = this.finalCallsOf?.(job);
    return calls === undefined
      ? { transactionUpdateDue: due }
      : { transactionUpdateDue: due, openhimFinalCalls: calls };
  }

  private transactionUpdateDue(job: OutboxJob): number | undefined {
    if (!this.owesTransactionUpdate?.(job)) return undefined;
    if (this.answeredEarly.has(job.id)) return Date.now() + this.transactionUpdateGraceMs;
    this.endingForClient.add(job.id);
    return undefined;
  }

  private async attempt(
    job: OutboxJob,
    leaseOwner: string,
    fresh: boolean,
    endAhead: boolean,
    slot: AttemptSlot,
    writesAfter?: Promise<void>,
  ): Promise<FirstOutcome> {
    const handler = this.handlers.get(job.flow, job.system)!;
    const breaker = this.breakers.for(job.system);
    const startedAt = Date.now();
    const timeoutMs = attemptBudgetMs(job, this.options, startedAt);
    const awaitJob = (id: string, ms: number) => this.awaitJob(slot, job.system, id, ms, startedAt + timeoutMs);
    const scope = new LazyAbort(job.system, writesAfter);
    // a step not started for want of time names what the attempt waits on: a request of another
    // system still unanswered, else its own system, which the step would have asked
    const waitedOn = () => scope.waitedOn() ?? job.system;
    const journal = new StoreStepJournal(this.store, job, fresh, { at: startedAt + timeoutMs, timeoutMs, waitedOn });
    let result;
    try {
      result = await breaker.run(
        () =>
          runWithTimeout(
            (abort) =>
              // the calls it makes see the attempt: abandoned, it sends no more writes (attempt-scope.ts)
              runInAttempt(abort, () =>
                this.aroundAttempt(job, () =>
                  handler(job, journal, {
                    attempt: deliveryAttempt(job),
                    awaitJob,
                    get signal() {
                      return abort.signal;
                    },
                  }),
                ),
              ),
            timeoutMs,
            scope,
          ),
        () => scope.systemsCalled.has(job.system),
        job.id,
      );
    } catch (err) {
      const outcome = await this.recordFailure(job, leaseOwner, err);
      await this.noteAttempt(job, startedAt, outcome, err);
      return outcome;
    }
    this.metrics.attempt(job.system, 'done');
    const done: FirstOutcome = { kind: 'done', jobId: job.id, result };
    try {
      // the attempt goes into the job's end: one statement and one commit (it was a second
      // commit per write, on PostgreSQL a fourth query)
      // endAhead: settled at the COMMIT; the caller awaits the sync before it answers (AcceptOptions)
      const end = endAhead ? this.store.writesAhead() : this.store;
      const finished = await end.finishJob(
        job.id,
        leaseOwner,
        { status: 'done', result, ...this.owedUpdate(job) },
        Date.now(),
        attemptRecord(job, startedAt, done),
      );
      if (finished) {
        this.breakers.for(job.system).jobEnded(job.id);
        this.deliveryLog.ended(job.id);
        return done;
      }
      return await this.currentOutcome(job.id);
    } catch (err) {
      // a result the store cannot take (a bug: a value JSON or jsonb cannot hold) would fail the
      // same way after every lease, re-running the write each time: fail the job once instead
      if (classifyFailure(err) === 'internal') {
        const failed = await this.failInternally(job, leaseOwner, err).catch((e: unknown) =>
          this.recordingFailed(job, e),
        );
        await this.noteAttempt(job, startedAt, failed, err);
        return failed;
      }
      return this.recordingFailed(job, err);
    }
  }

  /**
   * DeliveryContext.awaitJob: until job `id` is no longer in flight, or `ms` passes, without this
   * attempt's delivery slot (attempt-slot.ts), which it then takes back while at least half of
   * attemptTimeoutMs is left before the attempt's end (`attemptEndsAt`), as deliverNow asks of a
   * write that waited for a slot. A slot not had back by then is a wait that did not cost an
   * attempt: the job is due again at once, uncharged (SlotTakenMeanwhile), with a fresh lease.
   */
  private async awaitJob(
    slot: AttemptSlot,
    system: string,
    id: string,
    ms: number,
    attemptEndsAt: number,
  ): Promise<boolean> {
    if (!this.running.has(id) && this.underWayElsewhere(await this.store.getJob(id))) return false;
    const until = Date.now() + ms;
    const backBy = attemptEndsAt - this.options.attemptTimeoutMs / 2;
    let here = true;
    const kept = await slot.without(async () => {
      here = await this.endOf(id, until);
    }, backBy - Date.now());
    if (!kept) throw new SlotTakenMeanwhile(system);
    return here;
  }

  /**
   * A job in flight under another instance's lease (PostgreSQL): nothing in this process tells its
   * end, and every job waiting for it reading its row every duplicatePollMs (a district's 200
   * facilities, each claimed as a slot frees) would load the database for nothing: its waiters
   * look again later instead (DeliveryContext.awaitJob answers false).
   */
  private underWayElsewhere(job: OutboxJob | undefined): boolean {
    return job?.status === 'in-flight' && !job.leaseOwner?.startsWith(`${this.options.instanceId}:`);
  }

  /**
   * Until job `id` is no longer in flight, or `until`: the end of its attempt running in this
   * process; one accepted here and not started yet (waiting for a slot) is read every
   * duplicatePollMs until it runs. False as soon as another instance has it (underWayElsewhere).
   */
  private async endOf(id: string, until: number): Promise<boolean> {
    for (;;) {
      const remaining = until - Date.now();
      if (remaining <= 0) return true;
      const local = this.running.get(id);
      if (local) {
        await withinDeadline(local, remaining).catch(() => undefined);
        return true;
      }
      // one read of its row answers both: under way elsewhere, or no longer in flight
      const job = await this.store.getJob(id);
      if (this.underWayElsewhere(job)) return false;
      if (job?.status !== 'in-flight') return true;
      await sleep(Math.min(this.options.duplicatePollMs, remaining));
    }
  }

  /**
   * Keeps this attempt for the job's timeline (the job row holds only the count and the last
   * error). Best effort: a store that cannot take it must not change how the delivery ended.
   */
  private async noteAttempt(job: OutboxJob, startedAt: number, outcome: FirstOutcome, err?: unknown): Promise<void> {
    try {
      await this.store.appendJobAttempt(attemptRecord(job, startedAt, outcome, err));
    } catch (storeErr) {
      this.logger.warn({ jobId: job.id, err: describeError(storeErr) }, 'outbox: recording an attempt failed');
    }
  }

  private async recordFailure(job: OutboxJob, leaseOwner: string, err: unknown): Promise<FirstOutcome> {
    try {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
        return await this.defer(
          job,
          leaseOwner,
          this.breakers.for(job.system).reopensAt(),
          `${job.system} is failing (circuit open); the write is queued and will be retried`,
          true,
        );
      }
      // a probe the system failed waits uncharged for the next, as the writes it was let through
      // for do (charged, an outage outlasting maxAttempts probes dead-lettered every held write);
      // its error kept as the last one, so its retry looks before it writes again
      const breaker = this.breakers.for(job.system);
      if (breaker.probeFailed(err) && !(await this.heldAloneTooLong(job, err, breaker))) {
        // no sooner than a probe whose answer was lost may still land (settleMs), nor than the
        // system's Retry-After: with breakerOpenMs below settleMs its retry looked too early,
        // found nothing, and wrote again
        const settled = isUnknownOutcome(err) ? Date.now() + this.options.settleMs : 0;
        const at = Math.max(breaker.reopensAt(), settled, notBeforeOf(err) ?? 0);
        return await this.waitAsAsked(job, leaseOwner, at, err);
      }
      // the system said when, or refused our own credentials (the write waits for the settings)
      const retryAt = retryAtOf(err) ?? this.waitForCredentials(job, err);
      if (retryAt !== undefined) return await this.waitAsAsked(job, leaseOwner, retryAt, err);
      const kind = classifyFailure(err);
      if (kind === 'internal') return await this.failInternally(job, leaseOwner, err);
      if (kind === 'store') return await this.retryAfterStoreFailure(job, leaseOwner, err);
      if (kind === 'refused') {
        this.metrics.attempt(job.system, 'rejected');
        const error = err as MediatorError;
        if (
          await this.store.finishJob(
            job.id,
            leaseOwner,
            { status: 'rejected', error: toStoredError(error), ...this.owedUpdate(job) },
            Date.now(),
          )
        ) {
          this.breakers.for(job.system).jobEnded(job.id);
          if (this.answeredEarly.has(job.id)) this.deliveryLog.rejectedAfterAnswer(job, describeError(error));
          else this.deliveryLog.ended(job.id);
          return { kind: 'rejected', jobId: job.id, error };
        }
        return await this.currentOutcome(job.id);
      }
      const reason = describeError(err);
      if (job.attempts >= this.options.backoff.maxAttempts) {
        if (await this.heldAtLastAttempt(job, err))
          return await this.waitAsAsked(job, leaseOwner, this.heldUntil(job, err), err);
        return await this.deadLetter(job, leaseOwner, err, reason);
      }
      this.metrics.attempt(job.system, 'retry');
      // after a timeout the last request may still land upstream: give it time before looking again;
      // and never sooner than the upstream's Retry-After asked (charged: a gateway that keeps
      // throttling still ends in a dead letter, after waits it chose)
      const wait = Math.max(
        retryDelayMs(job.attempts, this.options.backoff),
        isUnknownOutcome(err) ? this.options.settleMs : 0,
      );
      const dueAt = Math.max(Date.now() + wait, notBeforeOf(err) ?? 0);
      const ownOutage = ownSystemServesNobody(err, job.system);
      if (await this.store.rescheduleJob(job.id, leaseOwner, dueAt, reason, false, Date.now(), ownOutage)) {
        this.deliveryLog.retrying(job, reason, dueAt);
        return {
          kind: 'queued',
          jobId: job.id,
          status: 'pending',
          reason: `${job.system} failed transiently (${reason}); queued for retry`,
        };
      }
      return await this.currentOutcome(job.id);
    } catch (storeErr) {
      return this.recordingFailed(job, storeErr);
    }
  }

  /**
   * Whether `job`, a probe held only for a while (SystemBreaker.probeHeldForAWhile: failing alone
   * with a 502/504 or no answer in time, or on one shared read's odd answers), has been failing
   * longer than heldAloneLimitMs: it is then charged like any failure, so one write a proxy times
   * out on every time ends as a dead letter with its reason instead of being sent every
   * breakerOpenMs for ever. Counted from its first failure (OutboxJob.failingSince), not its
   * acceptance: a write that first waited behind a backlog, or was retried by an operator, is
   * given the whole bound again.
   */
  private async heldAloneTooLong(job: OutboxJob, err: unknown, breaker: SystemBreaker): Promise<boolean> {
    // held for good on other jobs failing in this process's memory (breakers.ts failingJobs): those
    // may have ended on another instance, unseen here, and an instance that saw no success since
    // sent a poisoned write every breakerOpenMs, uncharged, for hours after the outage; past the
    // bound the store (every instance's view) and the readiness check decide, as for one alone
    if (!breaker.probeHeldForAWhile(err) && !ambiguousFailure(err)) return false;
    if (failingForMs(job) <= heldAloneLimitMs(this.options.backoff)) return false;
    if (await this.othersFailTogether(job, err)) return false;
    // past the bound, charged only while its system answers: else an outage, however long
    return (await this.systemAnswers?.(job.system).catch(() => false)) === true;
  }

  /**
   * Whether `job`, failing with its system serving nobody (a 502/503/504, no answer), fails
   * together with other writes of the system since its last delivery, failing so too (not on
   * another system they read), as the store tells every instance (others-failing.ts): held then, as one process's breaker holds a write failing with
   * others (breakers.ts othersFailing), whatever the readiness check says. That memory is each
   * process's own, so an instance restarted very often never held such a write, and one failing
   * 504 with the others while the check passed was dead-lettered at the bound. Failed recently:
   * within two of the longest backoff waits, so a job waiting long for something else (the
   * credentials, a Retry-After) does not count. A store that fails to tell: not held (the check
   * still asked).
   */
  private async othersFailTogether(job: OutboxJob, err: unknown): Promise<boolean> {
    if (!ownSystemServesNobody(err, job.system)) return false;
    const failedSince = Date.now() - 2 * this.options.backoff.capMs;
    return this.store.othersFailingTogether(job.system, job.id, failedSince).catch(() => false);
  }

  /**
   * Whether `job`, failed at its last attempt, is held uncharged rather than dead-lettered
   * (last-attempt-hold.ts): its failure may be its system's and it has failed for less than
   * heldAloneLimitMs, or the system it failed on (its own, or another met on the way) fails its
   * readiness check. Instances' breakers count apart, and a restarted one starts closed: attempts
   * an open breaker would have held may have been charged, and an outage must dead-letter nothing
   * however many instances charge it; no breaker holds one failing on another system at all.
   * Without a check (an outbox made without systemAnswers: the server and a CLI command's both
   * have one, systems/system-answers.ts), dead-lettered as before.
   */
  private async heldAtLastAttempt(job: OutboxJob, err: unknown): Promise<boolean> {
    if (!this.systemAnswers) return false;
    const opensFirst = this.options.backoff.maxAttempts > this.options.breaker.consecutiveFailures;
    const hold = lastAttemptHold(err, job.system, {
      failingForMs: failingForMs(job),
      limitMs: heldAloneLimitMs(this.options.backoff),
      opensFirst,
    });
    if (typeof hold === 'string') return hold === 'held';
    // as one process's breaker, opened before this attempt, would hold it with the others failing
    // (with no breaker opening first they may all be dead-lettered while the system answers)
    if (opensFirst && hold.ask === job.system && (await this.othersFailTogether(job, err))) return true;
    // the check runs inside this attempt's claim, after an attempt of up to attemptTimeoutMs: one
    // that outlasted the claim would let another instance take the job and send it again, so
    // unanswered within half the claim's margin over the attempt the system counts as not
    // answering (held: the safe side)
    const margin = (this.options.leaseMs - this.options.attemptTimeoutMs) / 2;
    const answers = await withinDeadline(
      this.systemAnswers(hold.ask).catch(() => false),
      margin,
    );
    return answers !== true;
  }

  /** When a write held at its last attempt is tried again: after the longest backoff, no sooner than it may land or was asked. */
  private heldUntil(job: OutboxJob, err: unknown): number {
    const settled = isUnknownOutcome(err) ? this.options.settleMs : 0;
    const wait = Math.max(retryDelayMs(job.attempts, this.options.backoff), settled);
    return Math.max(Date.now() + wait, notBeforeOf(err) ?? 0);
  }

  /**
   * When a write refused our own credentials is tried again (failures.ts credentialsRefusedRetryAt),
   * once it was promised: its client answered 202, or a worker's attempt. A client still waiting
   * for this first attempt is told the refusal at once (502, the job rejected), as before: nothing
   * was promised yet, and it learns now that the settings need fixing. DHIS2's 401, transient,
   * was answered 202 whatever, so it waits in either case.
   */
  private waitForCredentials(job: OutboxJob, err: unknown): number | undefined {
    if (!this.answeredEarly.has(job.id) && classifyFailure(err) === 'refused') return undefined;
    return credentialsRefusedRetryAt(err);
  }

  /**
   * The system said when the write can succeed (retryAtOf): due then, the attempt not charged, its
   * reason kept as the job's last error for the operator.
   */
  private async waitAsAsked(job: OutboxJob, leaseOwner: string, retryAt: number, err: unknown): Promise<FirstOutcome> {
    this.metrics.attempt(job.system, 'deferred');
    const reason = describeError(err);
    // what othersFailTogether counts for the other writes of its system (others-failing.ts, v65)
    const ownOutage = ownSystemServesNobody(err, job.system);
    if (!(await this.store.rescheduleJob(job.id, leaseOwner, retryAt, reason, true, Date.now(), ownOutage))) {
      return this.currentOutcome(job.id);
    }
    this.deliveryLog.deferred(job, reason, retryAt);
    const until = new Date(retryAt).toISOString();
    return {
      kind: 'queued',
      jobId: job.id,
      status: 'pending',
      reason: `${reason}; the write is queued until ${until}`,
    };
  }

  /**
   * Our database failed during the attempt (a restart, a failover, a full disk): the upstream did
   * nothing wrong and the job has not used a try, so it goes back without charging the attempt
   * (never dead-lettered for it). The reason is kept as its last error, so the next attempt is
   * told one ran before (deliveryAttempt) and looks before writing: the upstream may have applied
   * the write whose step could not be recorded.
   */
  private async retryAfterStoreFailure(job: OutboxJob, leaseOwner: string, err: unknown): Promise<FirstOutcome> {
    this.metrics.attempt(job.system, 'store');
    // the driver's words (a host and port, a file path) are for the operator (lastError), not the client
    const lastError = `the mediator's database failed (${describeError(err)})`;
    const dueAt = Date.now() + retryDelayMs(job.attempts, this.options.backoff);
    // not the upstream's failure: its outage mark and failing_since stay as they were ('keep'), so
    // a blip of ours neither clears the mark othersFailingTogether reads nor starts its budget (v65)
    if (!(await this.store.rescheduleJob(job.id, leaseOwner, dueAt, lastError, true, Date.now(), 'keep'))) {
      return this.currentOutcome(job.id);
    }
    this.deliveryLog.deferred(job, lastError, dueAt);
    const reason = "the mediator's database failed for a moment; the write is kept and retried";
    return { kind: 'queued', jobId: job.id, status: 'pending', reason };
  }

  private async deadLetter(job: OutboxJob, leaseOwner: string, err: unknown, reason: string): Promise<FirstOutcome> {
    this.metrics.attempt(job.system, 'dead');
    // the audit row goes in the end's own transaction: no reader sees the job dead without it,
    // and a crash or a refused insert keeps neither (the job is retried after its lease)
    const audit = {
      actor: 'outbox',
      action: 'outbox.dead-letter',
      subject: job.id,
      details: {
        flow: job.flow,
        system: job.system,
        idempotencyKey: job.idempotencyKey,
        attempts: job.attempts,
        reason,
      },
    };
    const ended = {
      status: 'dead' as const,
      error: toStoredError(err),
      audit,
      ...this.owedUpdate(job),
    };
    if (!(await this.store.finishJob(job.id, leaseOwner, ended, Date.now()))) return this.currentOutcome(job.id);
    this.breakers.for(job.system).jobEnded(job.id);
    this.metrics.deadLetter(job.system);
    this.deliveryLog.ended(job.id);
    this.logger.warn(
      { jobId: job.id, flow: job.flow, system: job.system, attempts: job.attempts, reason },
      'outbox job dead-lettered',
    );
    return outcomeOfJob({ ...job, status: 'dead', lastError: reason });
  }

  /**
   * A bug of ours (DESIGN: a programming error is never transient): retrying cannot help and
   * would hold the system's slot and breaker, so the job is dead-lettered after this one attempt,
   * logged at error level with the stack and audited. The client gets a 500 OperationOutcome
   * without the message; an operator retries the job (`cli outbox retry`) once the bug is fixed.
   */
  private async failInternally(job: OutboxJob, leaseOwner: string, err: unknown): Promise<FirstOutcome> {
    this.metrics.attempt(job.system, 'internal');
    const reason = describeError(err);
    this.logger.error(
      {
        jobId: job.id,
        flow: job.flow,
        system: job.system,
        attempt: job.attempts,
        err: reason,
        stack: err instanceof Error ? err.stack : undefined,
      },
      'outbox: internal error while delivering; the job is dead-lettered for an operator, not retried',
    );
    const error = internalError(job, err);
    // audited in the end's own transaction, as a dead letter is (deadLetter)
    const audit = {
      actor: 'outbox',
      action: 'outbox.internal-error',
      subject: job.id,
      details: {
        flow: job.flow,
        system: job.system,
        idempotencyKey: job.idempotencyKey,
        attempts: job.attempts,
        error: reason,
      },
    };
    const ended = {
      status: 'dead' as const,
      error: toStoredError(error),
      audit,
      ...this.owedUpdate(job),
    };
    if (!(await this.store.finishJob(job.id, leaseOwner, ended, Date.now()))) return this.currentOutcome(job.id);
    // ended: no longer "another write failing" beside a write its system fails alone
    this.breakers.for(job.system).jobEnded(job.id);
    this.metrics.deadLetter(job.system);
    return { kind: 'rejected', jobId: job.id, error };
  }

  /** The store failed while recording an outcome: the job stays in flight until its lease ends, then is retried. */
  private recordingFailed(job: OutboxJob, err: unknown): QueuedOutcome {
    this.logger.error({ jobId: job.id, err: describeError(err) }, 'outbox: could not record a delivery outcome');
    return {
      kind: 'queued',
      jobId: job.id,
      status: 'in-flight',
      reason: 'the outcome could not be recorded; the write will be retried',
    };
  }

  private async currentOutcome(jobId: string): Promise<FirstOutcome> {
    const job = await this.store.getJob(jobId);
    if (!job) throw new ConflictError(`Outbox job ${jobId} was dropped by an operator`);
    return outcomeOfJob(job);
  }

  /**
   * A request answered from the job its business key names (an OpenHIM rerun, a client's resend).
   * Answered 202 while the job is unsettled, its own OpenHIM transaction is owed the job's final
   * state as the job's first one is: recorded with that answer (Store.oweRerunUpdate), sent by
   * the sweep once the job settles. Had the job settled meanwhile, the request gets that end; a
   * job given up (dead) has settled until an operator retries it, and is answered so at once.
   * `shared`: other writes of the request share its transaction (a Bundle, a fan-out): one of
   * them may leave it Processing, and its update must then list this entry too, settled or not.
   */
  private async answerDuplicate(
    first: OutboxJob,
    transactionId: string | undefined,
    deadlineAt: number,
    shared: boolean,
  ) {
    const previous = await this.outcomeOfFirst(first, deadlineAt);
    const rerun = { ...first, transactionId };
    if (!transactionId || !this.owesTransactionUpdate?.(rerun))
      return { kind: 'duplicate' as const, jobId: first.id, previous };
    // given up (dead) is settled too: answered at once, its transaction owed nothing more
    if (previous.kind !== 'queued' || previous.givenUp) {
      if (shared) await this.listAnsweredFrom(first.id, transactionId);
      return { kind: 'duplicate' as const, jobId: first.id, previous };
    }
    const debt = await this.store.oweRerunUpdate(first.id, transactionId, Date.now(), RERUN_UPDATES_PER_JOB);
    if (debt === 'unlisted' && shared) this.warnUnlisted(first.id, transactionId);
    if (debt === 'settled' || debt === 'unlisted' || debt === 'gone')
      return { kind: 'duplicate' as const, jobId: first.id, previous: await this.currentOutcome(first.id) };
    if (debt === 'full')
      this.logger.warn(
        { jobId: first.id, transactionId, bound: RERUN_UPDATES_PER_JOB },
        'outbox: a job already owes updates to as many reruns as it keeps; this transaction will stay Processing',
      );
    return { kind: 'duplicate' as const, jobId: first.id, previous };
  }

  /**
   * Records that `transactionId` was answered from settled job `jobId` (nothing owed for it), so
   * the transaction's update, owed by its other writes, counts this one's end. Recorded as this
   * entry is answered (at once for a settled job), before a sibling can owe that update (only
   * once its deadline has passed). A failure costs only the entry's place in the update: the
   * client is answered all the same.
   */
  private async listAnsweredFrom(jobId: string, transactionId: string): Promise<void> {
    try {
      const listed = await this.store.oweRerunUpdate(jobId, transactionId, Date.now(), RERUN_UPDATES_PER_JOB);
      if (listed === 'unlisted') this.warnUnlisted(jobId, transactionId);
    } catch (err) {
      this.logger.warn(
        { jobId, transactionId, err: describeError(err) },
        "outbox: could not list a settled job among its transaction's writes; its update may leave it out",
      );
    }
  }

  /**
   * A settled job already listed in as many other transactions as a job keeps (RERUN_UPDATES_PER_JOB
   * 'answered' rows): this one's update, owed by its other writes, leaves it out. Said, not silent.
   */
  private warnUnlisted(jobId: string, transactionId: string): void {
    this.logger.warn(
      { jobId, transactionId, bound: RERUN_UPDATES_PER_JOB },
      "outbox: a settled job is already listed in as many reruns as it keeps; this transaction's update leaves it out",
    );
  }

  /**
   * A duplicate of a write still in flight waits (until its own deadline) for the first one's
   * outcome: in this process by sharing the running attempt, elsewhere by re-reading the job.
   * It never starts a second upstream write.
   */
  private async outcomeOfFirst(first: OutboxJob, deadlineAt: number): Promise<FirstOutcome> {
    let job = first;
    while (job.status === 'in-flight') {
      const remaining = deadlineAt - Date.now();
      if (remaining <= 0) break;
      const local = this.running.get(job.id);
      if (local) {
        // an end settled ahead of the disk (endAhead) is answered here only once it is on disk
        const endAhead = this.endsAhead.has(job.id);
        const outcome = await withinDeadline(local, remaining);
        if (outcome && endAhead) await this.store.durable();
        if (outcome) return outcome;
        break;
      }
      await sleep(Math.min(this.options.duplicatePollMs, remaining));
      const fresh = await this.store.getJob(job.id);
      if (!fresh) throw new ConflictError(`Outbox job ${job.id} was dropped by an operator`);
      job = fresh;
    }
    return outcomeOfJob(job);
  }

  private async workerLoop(w: WorkerState): Promise<void> {
    const outage = (this.outageLog ??= new StoreOutageLog(this.logger));
    while (!w.stopped) {
      w.woken = false;
      let started = 0;
      try {
        await this.leaseHolding.releaseEnded(); // before the claim (at start, then every few seconds): it takes those jobs
        started = await this.runOnce();
        outage.passed();
      } catch (err) {
        outage.failed(err);
      }
      if (w.stopped) break;
      // A wake-up during the pass (a slot freed, a job queued) means: look again at once.
      const wait = started > 0 || w.woken ? 0 : this.options.pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        w.wake = () => {
          w.woken = true;
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/**
 * How long `job` has been failing in its attempt budget: since its first failure recorded
 * (OutboxJob.failingSince, stored: the same for every instance and across restarts). None: 0,
 * this attempt is its first failure.
 */
function failingForMs(job: Pick<OutboxJob, 'failingSince'>, now = Date.now()): number {
  return job.failingSince === undefined ? 0 : now - job.failingSince;
}

/** A write answered before it ended (queued, not given up): its end is still to be reported. */
function answeredUnfinished(outcome: WriteOutcome): boolean {
  const first = outcome.kind === 'duplicate' ? outcome.previous : outcome;
  return first.kind === 'queued' && !first.givenUp;
}

/** Whether another write of the request goes through the same OpenHIM transaction as write `i`. */
function sharesTransaction(reqs: AcceptWriteRequest[], i: number): boolean {
  const tx = reqs[i].transactionId;
  return tx !== undefined && reqs.some((r, j) => j !== i && r.transactionId === tx);
}
