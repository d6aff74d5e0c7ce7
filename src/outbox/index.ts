export * from './types.js';
export { Outbox, outcomeOfJob, resolveOutboxOptions, type OutboxDeps, type OutboxSettings } from './outbox.js';
export { hashPayload, canonicalJson } from './hash.js';
export { StoreStepJournal } from './journal.js';
export { registerOutboxMetrics, NO_METRICS, type OutboxMetrics } from './metrics.js';
export { describeError, reviveError, toStoredError, AttemptTimeoutError } from './errors.js';
export { classifyFailure, countsAgainstSystem, isTransientFailure, type FailureKind } from './failures.js';
export { retryDelayMs } from './backoff.js';
export * from './operator.js';
