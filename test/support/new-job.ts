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
