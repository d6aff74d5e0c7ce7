import { UpstreamError } from '../domain/errors.js';
import { classifyFailure, countsAgainstSystem, otherShapeAnswer } from './failures.js';

/**
 * What a write's failed last attempt (outbox.maxAttempts charged) comes to, whatever this process
 * knows: 'dead' (dead-lettered), 'held' (uncharged, tried again later), or 'ask' (held while its
 * system fails its readiness check, dead-lettered while it answers).
 *
 * The circuit breaker that keeps a down system's writes uncharged counts in one process
 * (breakers.ts): with several instances on one PostgreSQL store each charges its own attempts
 * before its breaker opens, and a restarted one starts closed; a lone write refused connections
 * all night was dead-lettered at 0.41 h by three instances where one holds it for the outage's
 * length. So the last attempt is judged from what every instance sees alike: the failure, the
 * write's stored failing age (failing_since, migration v51) and the system's readiness check.
 * - A failure that is its own (an answer of 500, a refusal, another system's): dead.
 * - One that may be the system's (no answer, 502/503/504, an answer of another shape): held up
 *   to `limitMs` (breakers.ts heldAloneLimitMs) from its first failure, the bound one process
 *   holds a write failing alone; then asked.
 */
export type LastAttemptHold = 'dead' | 'held' | 'ask';

export function lastAttemptHold(err: unknown, system: string, failingForMs: number, limitMs: number): LastAttemptHold {
  if (!maybeTheSystems(err, system)) return 'dead';
  return failingForMs <= limitMs ? 'held' : 'ask';
}

/** A failure that says the system may be serving nobody: no answer, a gateway's 502/503/504, an odd answer. */
function maybeTheSystems(err: unknown, system: string): boolean {
  if (otherShapeAnswer(err, system)) return true;
  if (!countsAgainstSystem(err, system)) return false;
  if (err instanceof UpstreamError)
    return err.upstreamStatus === undefined || [502, 503, 504].includes(err.upstreamStatus);
  return classifyFailure(err) === 'transient';
}
