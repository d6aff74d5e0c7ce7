import { CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { countsAgainstSystem } from './failures.js';

/** What the worker may do against a system right now. */
export type BreakerGate = 'closed' | 'probe' | 'open';

/**
 * A cockatiel circuit breaker for one system. Only the system failing counts (countsAgainstSystem):
 * an upstream that rejects bad payloads is healthy, and a bug of ours or our database being away
 * must not stop every write to it. Errors the filter does not handle pass through uncounted. cockatiel moves from Open to HalfOpen lazily, on the next
 * call after `halfOpenAfter`, so `gate()` tells the worker when to let one probe job through.
 */
export class SystemBreaker {
  readonly policy: CircuitBreakerPolicy;
  private openedAt?: number;

  constructor(
    private readonly opts: { consecutiveFailures: number; halfOpenAfterMs: number },
    /** Its system: another system's errors met on the way (countsAgainstSystem) are not counted. */
    system?: string,
  ) {
    this.policy = circuitBreaker(
      handleWhen((err) => countsAgainstSystem(err, system)),
      {
        halfOpenAfter: opts.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(opts.consecutiveFailures),
      },
    );
    this.policy.onBreak(() => {
      this.openedAt = Date.now();
    });
    this.policy.onReset(() => {
      this.openedAt = undefined;
    });
  }

  gate(now = Date.now()): BreakerGate {
    switch (this.policy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return now - (this.openedAt ?? 0) >= this.opts.halfOpenAfterMs ? 'probe' : 'open';
      default:
        return 'open'; // HalfOpen: a probe is already running; Isolated: held open
    }
  }

  /** When an open breaker lets a probe through. */
  reopensAt(): number {
    return (this.openedAt ?? Date.now()) + this.opts.halfOpenAfterMs;
  }
}

export class BreakerSet {
  private readonly breakers = new Map<string, SystemBreaker>();
  constructor(private readonly opts: { consecutiveFailures: number; halfOpenAfterMs: number }) {}

  /** Each system seen so far with its gate now (the operator console shows them). */
  gates(now = Date.now()): Record<string, BreakerGate> {
    return Object.fromEntries([...this.breakers].map(([system, b]) => [system, b.gate(now)]));
  }

  for(system: string): SystemBreaker {
    let b = this.breakers.get(system);
    if (!b) this.breakers.set(system, (b = new SystemBreaker(this.opts, system)));
    return b;
  }
}
