import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  type IBreaker,
} from 'cockatiel';
import { AttemptTimeoutError } from './errors.js';
import { UpstreamError } from '../domain/errors.js';
import { askedOf } from '../upstream/errors.js';
import { ambiguousFailure, classifyFailure, countsAgainstSystem, otherShapeAnswer } from './failures.js';
import { OtherShapeStreak, type OtherShapeVerdict } from './other-shape-streak.js';
import { DEFAULT_OUTBOX_OPTIONS, type OutboxLogger } from './types.js';

/** What the worker may do against a system right now. */
export type BreakerGate = 'closed' | 'probe' | 'open';

/**
 * outbox.breakerFailures and outbox.breakerOpenMs. The outbox's own object, which a live OpenHIM
 * change updates in place (main.ts applyOutboxSettings): the breakers read it when they use it.
 */
export interface BreakerOptions {
  consecutiveFailures: number;
  halfOpenAfterMs: number;
}

/**
 * cockatiel's ConsecutiveBreaker fixes its threshold when made; this one reads it at each failure,
 * so a threshold changed live applies to the breakers already made, from their next failure.
 */
class LiveConsecutiveBreaker implements IBreaker {
  /** Consecutive failures so far (read when the breaker opens, for its log line). */
  state = 0;
  constructor(private readonly opts: BreakerOptions) {}
  success(): void {
    this.state = 0;
  }
  failure(): boolean {
    return ++this.state >= this.opts.consecutiveFailures;
  }
}

/**
 * How long cockatiel keeps a breaker open, read when it opens (cockatiel asks then). SystemBreaker
 * notes the same value at the same moment (onBreak), so its gate and cockatiel agree on when the
 * probe is due: a change made while a breaker is open applies from its next opening.
 */
function liveOpenTime(opts: BreakerOptions): IBackoffFactory<unknown> {
  const next = (): IBackoff<unknown> => ({ duration: opts.halfOpenAfterMs, next });
  return { next };
}

/** Failing jobs remembered per system: enough to know whether any other than a probe's failed. */
const MAX_FAILING_JOBS = 16;

/** How far back an answer of another shape joins a streak when no window is given: outbox.backoffCapMs's default. */
const OTHER_SHAPE_WINDOW_MS = DEFAULT_OUTBOX_OPTIONS.backoff.capMs;

/**
 * A cockatiel circuit breaker for one system. Only the system failing counts (countsAgainstSystem):
 * an upstream that rejects bad payloads is healthy, and a bug of ours or our database being away
 * must not stop every write to it. Errors the filter does not handle pass through uncounted. cockatiel moves from Open to HalfOpen lazily, on the next
 * call after `halfOpenAfter`, so `gate()` tells the worker when to let one probe job through.
 * An answer of another shape counts only when it is the system's (other-shape-streak.ts: met by
 * different jobs on different requests since the last success), a probe's included; a probe
 * meeting one that is not (one poisoned request) ends without a decision, as one that sent
 * nothing does: cockatiel would close on an error it does not count.
 */
export class SystemBreaker {
  readonly policy: CircuitBreakerPolicy;
  private openedAt?: number;
  /** outbox.breakerOpenMs when it opened (cockatiel's wait, read at the same moment). */
  private openForMs = 0;
  /** The one attempt let through an open breaker is running (gate() is 'open' for the others). */
  private probing = false;
  private readonly counter: LiveConsecutiveBreaker;
  private readonly otherShapes: OtherShapeStreak;
  /** Answers of another shape judged the system's (judgeOtherShape), for the policy's filter. */
  private readonly systemic = new WeakSet<object>();
  /**
   * Failures of probes that opened the breaker again (probeFailed), each with whether its job is
   * held only for a while (probeHeldForAWhile).
   */
  private readonly failedProbes = new WeakMap<object, boolean>();
  /** Jobs whose failures the breaker counted since the system's last success (a few suffice). */
  private readonly failingJobs = new Set<string>();

  constructor(
    private readonly opts: BreakerOptions,
    /** Its system: another system's errors met on the way (countsAgainstSystem) are not counted. */
    private readonly system?: string,
    /** Its openings, probes and closing are said: otherwise only /metrics and the console show them. */
    private readonly logger?: OutboxLogger,
    /** How far back another job's answer of another shape still counts with this one's (outbox.backoffCapMs). */
    otherShapeWindowMs: () => number = () => OTHER_SHAPE_WINDOW_MS,
  ) {
    this.counter = new LiveConsecutiveBreaker(opts);
    this.otherShapes = new OtherShapeStreak(otherShapeWindowMs);
    this.policy = circuitBreaker(
      handleWhen((err) => countsAgainstSystem(err, system) || this.systemic.has(err as object)),
      {
        halfOpenAfter: liveOpenTime(opts),
        breaker: this.counter,
      },
    );
    this.policy.onBreak(() => {
      this.openedAt = Date.now();
      this.openForMs = this.opts.halfOpenAfterMs;
      this.logOpened();
    });
    this.policy.onReset(() => {
      this.openedAt = undefined;
      this.logger?.info({ system: this.system }, 'outbox: circuit breaker closed; deliveries resume');
    });
  }

  /**
   * Opened by consecutive failures, or again by a failed probe (cockatiel does not count that
   * failure in the breaker: the count is then the one that opened it first).
   */
  private logOpened(): void {
    this.logger?.warn(
      {
        system: this.system,
        consecutiveFailures: this.counter.state,
        probeFailed: this.probing,
        probeAt: new Date(this.reopensAt()).toISOString(),
      },
      this.probing
        ? 'outbox: circuit breaker probe failed; open again'
        : 'outbox: circuit breaker opened; writes are queued until its probe',
    );
  }

  gate(now = Date.now()): BreakerGate {
    switch (this.policy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return !this.probing && now - (this.openedAt ?? 0) >= this.openForMs ? 'probe' : 'open';
      default:
        return 'open'; // HalfOpen: a probe is already running; Isolated: held open
    }
  }

  /**
   * Runs one delivery attempt through the breaker; `called` says whether it sent the system a
   * request (attempt-scope.ts noteUpstreamCall). Only an attempt that did, or whose failure is the
   * system failing (failedOnTheWay: a connection refused on the way there), decides the
   * breaker: its outcome is then passed through the policy. One that sent nothing (a facility
   * waiting for its parent, a write our own check refused) proved nothing either way: run
   * inside the policy, it closed an open breaker although the system was still down (every queued
   * write then went out at once and was charged an attempt). As a probe it ends without a
   * decision, and the next job is let through in its place; so does a probe meeting an answer of
   * another shape that is not the system's. `job` names the attempt's job, which with what it
   * asked tells one record's answers of another shape from the system's (judgeOtherShape).
   */
  async run<T>(attempt: () => Promise<T>, called: () => boolean, job = ''): Promise<T> {
    const gate = this.gate();
    if (gate === 'open') {
      throw this.policy.state === CircuitState.Isolated ? new IsolatedCircuitError() : new BrokenCircuitError();
    }
    const probe = gate === 'probe';
    if (probe) {
      this.probing = true;
      this.logger?.info({ system: this.system }, 'outbox: circuit breaker lets a probe through');
    }
    try {
      const result = await attempt();
      if (called()) {
        this.otherShapes.clear();
        this.failingJobs.clear();
        await this.decide(() => Promise.resolve(result));
      }
      return result;
    } catch (err) {
      const otherShape = otherShapeAnswer(err, this.system);
      const verdict = otherShape ? this.judgeOtherShape(err as UpstreamError, job) : false;
      const systemic = verdict !== false;
      // one request's odd answer says nothing of the system: the next job is let through instead
      if (probe && otherShape && !systemic) throw err;
      if (called() || systemic || failedOnTheWay(err, this.system)) {
        await this.decide(() => Promise.reject(err));
        const others = this.othersFailing(job);
        if (systemic || countsAgainstSystem(err, this.system)) this.noteFailing(job);
        // the probe's failure counted: open again; its job waits uncharged when the failure is the
        // system's (others failed too, or it serves nobody), not this one write's (alone and
        // answered 500 every time: charged, it dies after its attempts); only for a while when
        // the failure may be one write's all the same (heldForAWhile)
        if (
          probe &&
          (others || notServing(err)) &&
          this.policy.state === CircuitState.Open &&
          typeof err === 'object' &&
          err !== null
        ) {
          this.failedProbes.set(err, heldForAWhile(err, verdict, others));
        }
      }
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /**
   * Whether `err`, an answer of another shape, counts against the system: different jobs met such
   * answers on different requests since its last success. Such an error is marked for the
   * policy's filter; one request's (a poisoned record, however many jobs ask it) passes uncounted.
   */
  private judgeOtherShape(err: UpstreamError, job: string): OtherShapeVerdict {
    const verdict = this.otherShapes.note(job, askedOf(err), Date.now());
    if (verdict) this.systemic.add(err);
    return verdict;
  }

  /** Whether a job other than `job` failed against the system since its last success (unknown job: yes). */
  private othersFailing(job: string): boolean {
    if (!job) return true;
    for (const other of this.failingJobs) if (other !== job) return true;
    return false;
  }

  private noteFailing(job: string): void {
    if (job && this.failingJobs.size < MAX_FAILING_JOBS) this.failingJobs.add(job);
  }

  /**
   * `job` ended (done, dead-lettered, refused): it no longer fails against the system. Kept, a
   * dead letter counted as "another job failing" and held a lone write's probe as a down
   * system's (othersFailing), and filled the few places MAX_FAILING_JOBS keeps.
   */
  jobEnded(job: string): void {
    this.failingJobs.delete(job);
  }

  /**
   * Whether `err` ended a probe that opened the breaker again while other jobs failed too (the
   * system still failing): the probe's job then waits uncharged like the writes it held back.
   * Charged, each probe cost one held write an attempt, and an outage outlasting
   * outbox.maxAttempts probes dead-lettered them. A job failing alone (one write a healthy system
   * answers 500 every time) is charged: uncharged, it was every probe, kept the breaker open and
   * was sent again every breakerOpenMs for ever.
   */
  probeFailed(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.failedProbes.has(err);
  }

  /**
   * Whether `err` ended such a probe with a hold the outbox keeps only for a while
   * (heldAloneLimitMs), then charges again (heldForAWhile): a failure that may be one write's.
   */
  probeHeldForAWhile(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.failedProbes.get(err) === true;
  }

  /** The policy counts the outcome (closed), or takes it as its half-open test (open, due a probe). */
  private async decide(outcome: () => Promise<unknown>): Promise<void> {
    await this.policy.execute(outcome).catch(() => undefined);
  }

  /** When an open breaker lets a probe through. */
  reopensAt(): number {
    return (this.openedAt ?? Date.now()) + this.openForMs;
  }
}

/**
 * How long a failed probe's write is held uncharged when held only for a while
 * (probeHeldForAWhile), counted from its first failure (OutboxJob.failingSince, stored):
 * outbox.maxAttempts × outbox.backoffCapMs (2.0 h at the shipped settings), as long as its
 * charged retries would at most have lasted. Longer, it is charged again and dead-lettered after
 * its remaining attempts: a poisoned record answered 504 every time was re-sent every
 * breakerOpenMs for ever. A system down with several writes failing, or refusing connections,
 * or answering 503, holds them all, however long.
 */
export function heldAloneLimitMs(backoff: { capMs: number; maxAttempts: number }): number {
  return backoff.maxAttempts * backoff.capMs;
}

/**
 * Whether a failed probe's hold lasts only for a while (heldAloneLimitMs), the failure possibly
 * one write's rather than the system's:
 * - odd answers judged the system's only because different writes met one REST read
 *   (other-shape-streak.ts sharedRead): a gateway in maintenance, or one poisoned look-up several
 *   writes name, which would otherwise hold them for ever on a quiet system;
 * - no other job failing since the system's last success, and an ambiguous failure
 *   (failures.ts ambiguousFailure: a 502/504, or no answer in time to a sent request): a
 *   system down on a quiet night, or one write a healthy system's proxy times out on every time.
 * A system that refuses or drops connections, answers 503, or answers different requests of
 * different writes oddly (a maintenance page) holds its writes however long: an outage of any
 * length dead-letters none of them.
 */
function heldForAWhile(err: unknown, verdict: OtherShapeVerdict, others: boolean): boolean {
  if (verdict) return verdict === 'shared-read';
  return !others && ambiguousFailure(err);
}

/**
 * A failure that says the system serves nobody, whichever write asked: no answer at all (refused,
 * reset, timed out) or a gateway's 502/503/504. A 500 may be one write's own doing.
 */
function notServing(err: unknown): boolean {
  if (err instanceof UpstreamError)
    return err.upstreamStatus === undefined || [502, 503, 504].includes(err.upstreamStatus);
  return classifyFailure(err) === 'transient';
}

/**
 * A failure of an attempt that noted no call, which is the system failing all the same: a
 * connection refused in a load shared outside the attempt (attempt-scope.ts outsideAttempt). Not
 * its timeout: with no request sent, it ran out waiting for something of ours (a parent's write,
 * a lock), which says nothing about the system.
 */
function failedOnTheWay(err: unknown, system?: string): boolean {
  return !(err instanceof AttemptTimeoutError) && countsAgainstSystem(err, system);
}

export class BreakerSet {
  private readonly breakers = new Map<string, SystemBreaker>();
  constructor(
    private readonly opts: BreakerOptions,
    private readonly logger?: OutboxLogger,
    /** The outbox's live backoff options: its cap is how far back answers of another shape join (other-shape-streak.ts). */
    private readonly backoff?: { capMs: number },
  ) {}

  /** Each system seen so far with its gate now (the operator console shows them). */
  gates(now = Date.now()): Record<string, BreakerGate> {
    return Object.fromEntries([...this.breakers].map(([system, b]) => [system, b.gate(now)]));
  }

  private readonly otherShapeWindowMs = (): number => this.backoff?.capMs ?? OTHER_SHAPE_WINDOW_MS;

  for(system: string): SystemBreaker {
    let b = this.breakers.get(system);
    if (!b) this.breakers.set(system, (b = new SystemBreaker(this.opts, system, this.logger, this.otherShapeWindowMs)));
    return b;
  }
}
