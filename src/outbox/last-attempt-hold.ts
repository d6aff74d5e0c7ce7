import { UpstreamError } from '../domain/errors.js';
import { classifyFailure, countsAgainstSystem, otherShapeAnswer, otherSystemOf } from './failures.js';

/**
 * What a write's failed last attempt (outbox.maxAttempts charged) comes to, whatever this process
 * knows: 'dead' (dead-lettered), 'held' (uncharged, tried again later), or `{ ask: system }` (held
 * while that system fails its readiness check, dead-lettered while it answers).
 *
 * The circuit breaker that keeps a down system's writes uncharged counts in one process
 * (breakers.ts): with several instances on one PostgreSQL store each charges its own attempts
 * before its breaker opens, and a restarted one starts closed; a lone write refused connections
 * all night was dead-lettered at 0.41 h by three instances where one holds it for the outage's
 * length. So the last attempt is judged from what every instance sees alike: the failure, the
 * settings, the write's stored failing age (failing_since, migration v51) and the system's
 * readiness check.
 * - A failure that is its own (an answer of 500, a refusal): dead.
 * - Another system's failure met on the way (a facility job asking the others for its parent,
 *   routing/facility-parent.ts) that may be that system down (no answer, a 502/503/504, an
 *   answer of another shape): asked of THAT system (the error names it) at once; any other of
 *   its failures: dead. No breaker holds such a write (failures.ts countsAgainstSystem: the
 *   job's system's counts only its own), so every attempt was charged, and the other system
 *   down longer than the attempts cover (about 2 h at the shipped settings) dead-lettered it.
 * - No answer or a 502/503/504, while one process's breaker would have opened before the
 *   write's attempts ran out (`opensFirst`: maxAttempts above breakerFailures) and held it: held
 *   up to `limitMs` (breakers.ts heldAloneLimitMs) from its first failure, as one process holds a
 *   write failing alone; then asked.
 * - An answer of another shape (a maintenance page, or one poisoned record's), or the above with
 *   no breaker opening first: asked at once, so one record's odd answers die after their
 *   attempts as one process's do, and maxAttempts at or below breakerFailures still dead-letters
 *   while the system answers (README: "may all be dead-lettered first").
 */
export type LastAttemptHold = 'dead' | 'held' | { ask: string };

export interface LastAttempt {
  /** How long the write has been failing (OutboxJob.failingSince). */
  failingForMs: number;
  /** breakers.ts heldAloneLimitMs. */
  limitMs: number;
  /** outbox.maxAttempts above outbox.breakerFailures: one process's breaker opens before the last attempt. */
  opensFirst: boolean;
}

export function lastAttemptHold(err: unknown, system: string, at: LastAttempt): LastAttemptHold {
  const other = otherSystemOf(err, system);
  if (other !== undefined) return mayBeOutage(err, other) ? { ask: other } : 'dead';
  if (otherShapeAnswer(err, system)) return { ask: system };
  if (!notServing(err, system)) return 'dead';
  return at.opensFirst && at.failingForMs <= at.limitMs ? 'held' : { ask: system };
}

/**
 * A failure of the job's own system serving nobody (no answer, a 502/503/504): the kind a write
 * failing together with others of that system is held on (outbox.ts othersFailTogether), where
 * one write's odd answers or a 500 are its own.
 */
export function ownSystemServesNobody(err: unknown, system: string): boolean {
  return otherSystemOf(err, system) === undefined && notServing(err, system);
}

/** A failure that may be `system` down: it serves nobody, or answers in another shape. */
function mayBeOutage(err: unknown, system: string): boolean {
  return otherShapeAnswer(err, system) || notServing(err, system);
}

/** A failure of the system serving nobody: no answer at all, or a gateway's 502/503/504. */
function notServing(err: unknown, system: string): boolean {
  if (!countsAgainstSystem(err, system)) return false;
  if (err instanceof UpstreamError)
    return err.upstreamStatus === undefined || [502, 503, 504].includes(err.upstreamStatus);
  return classifyFailure(err) === 'transient';
}
