import { MAX_TIMER_MS } from '../config/settings.js';
import type { OutboxOptions } from './types.js';

/**
 * The outbox's numbers that cannot work, named with the value and the bound (the settings
 * table refuses those it carries at start-up, the breaker's among them; concurrency and polls are
 * options only). A concurrency of 0 takes no job ever (every write queued, none delivered), a lease of
 * 0 ms is expired when taken (two workers run one job), a poll of 0 ms spins the event loop.
 */
export function outboxOptionProblems(o: Omit<OutboxOptions, 'instanceId'>): string[] {
  const checks: [string, number, Bound][] = [
    ['concurrency.default', o.concurrency.default, COUNT],
    ...Object.entries(o.concurrency.perSystem).map(([system, n]): [string, number, Bound] => [
      `concurrency.perSystem.${system}`,
      n,
      COUNT,
    ]),
    ['backoff.maxAttempts', o.backoff.maxAttempts, COUNT],
    ['breaker.consecutiveFailures', o.breaker.consecutiveFailures, COUNT],
    ['leaseMs', o.leaseMs, DURATION],
    ['attemptTimeoutMs', o.attemptTimeoutMs, DURATION],
    ['pollMs', o.pollMs, DURATION],
    ['duplicatePollMs', o.duplicatePollMs, DURATION],
    ['backoff.baseMs', o.backoff.baseMs, DURATION],
    ['backoff.capMs', o.backoff.capMs, DURATION],
    ['breaker.halfOpenAfterMs', o.breaker.halfOpenAfterMs, DURATION],
    ['deadlineMs', o.deadlineMs, WAIT],
    ['settleMs', o.settleMs, WAIT],
  ];
  return checks.flatMap(([name, value, bound]) => {
    const problem = bound(value);
    return problem ? [`outbox: ${name} must be ${problem}, got ${value}`] : [];
  });
}

type Bound = (n: number) => string | undefined;

/** A whole number of at least 1. */
const COUNT: Bound = (n) => (Number.isInteger(n) && n >= 1 ? undefined : 'a whole number of at least 1');
/** A timer of at least 1 ms that Node can hold. */
const DURATION: Bound = (n) => within(n, 1);
/** A wait that may be 0 (answer at once, no settling). */
const WAIT: Bound = (n) => within(n, 0);

function within(n: number, min: number): string | undefined {
  return Number.isFinite(n) && n >= min && n <= MAX_TIMER_MS ? undefined : `from ${min} to ${MAX_TIMER_MS} ms`;
}
