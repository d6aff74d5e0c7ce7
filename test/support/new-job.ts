import type { NewJob } from '../../src/store/types.js';

/** A pending order write for the store, due and created at 1,000; `over` sets what a test is about. */
export function newJob(id: string, over: Partial<NewJob> = {}): NewJob {
  return {
    id,
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: `key-${id}`,
    payloadHash: 'h1',
    payload: { qty: 1 },
    status: 'pending',
    attempts: 0,
    nextAttemptAt: 1_000,
    createdAt: 1_000,
    ...over,
  };
}

/**
 * A stock job to DHIS2 in flight under `owner` after its first attempt, as a process that ended
 * mid-attempt left it: recorded and due at `now`, its lease running to `leaseUntil`.
 */
export function inFlightJob(id: string, owner: string, at: { now: number; leaseUntil: number }): NewJob {
  return newJob(id, {
    flow: 'stock',
    system: 'dhis2',
    idempotencyKey: `stock|${id}`,
    payloadHash: `h-${id}`,
    payload: { id },
    status: 'in-flight',
    attempts: 1,
    nextAttemptAt: at.now,
    leaseOwner: owner,
    leaseUntil: at.leaseUntil,
    createdAt: at.now,
  });
}
