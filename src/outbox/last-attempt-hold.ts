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
 * settings, the write's stored failing age (failing_since, migration v51) and the system's
 * readiness check.
 * - A failure that is its own (an answer of 500, a refusal, another system's): dead.
 * - No answer or a 502/503/504, while one process's breaker would have opened before the
 *   write's attempts ran out (`opensFirst`: maxAttempts above breakerFailures) and held it: held
 *   up to `limitMs` (breakers.ts heldAloneLimitMs) from its first failure, as one process holds a
 *   write failing alone; then asked.
 * - An answer of another shape (a maintenance page, or one poisoned record's), or the above with
 *   no breaker opening first: asked at once, so one record's odd answers die after their
 *   attempts as one process's do, and maxAttempts at or below breakerFailures still dead-letters
 *   while the system answers (README: "may all be dead-lettered first").
 */
export type LastAttemptHold = 'dead' | 'held' | 'ask';

export interface LastAttempt {
  /** How long the write has been failing (OutboxJob.failingSince). */
  failingForMs: number;
  /** breakers.ts heldAloneLimitMs. */
  limitMs: number;
  /** outbox.maxAttempts above outbox.breakerFailures: one process's breaker opens before the last attempt. */
  opensFirst: boolean;
}

export function lastAttemptHold(err: unknown, system: string, at: LastAttempt): LastAttemptHold {
  if (otherShapeAnswer(err, system)) return 'ask';
  if (!notServing(err, system)) return 'dead';
  return at.opensFirst && at.failingForMs <= at.limitMs ? 'held' : 'ask';
}

/** A failure of the system serving nobody: no answer at all, or a gateway's 502/503/504. */
function notServing(err: unknown, system: string): boolean {
  if (!countsAgainstSystem(err, system)) return false;
  if (err instanceof UpstreamError)
    return err.upstreamStatus === undefined || [502, 503, 504].includes(err.upstreamStatus);
  return classifyFailure(err) === 'transient';
}
