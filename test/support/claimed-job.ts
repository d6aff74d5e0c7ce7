/**
 * A job as a worker left it after its first attempt, for tests of what an operator or a later
 * worker does with it next (retry, drop, claim again).
 */
import type { OutboxJob, Store } from '../../src/store/types.js';
import { newJob } from './new-job.js';

/**
 * Records an `order` job on a system of its own (`sys-<id>`: no other job of the test is claimed
 * in its place) and claims it as worker w1. Returns that claim, to try it again later.
 */
export async function claimedJob(store: Store, id: string): Promise<() => Promise<OutboxJob[]>> {
  await store.recordWrite(newJob(id, { system: `sys-${id}`, idempotencyKey: `order|app|${id}` }));
  const claim = () =>
    store.claimJobs({
      system: `sys-${id}`,
      flows: ['order'],
      limit: 1,
      leaseOwner: 'w1',
      leaseMs: 60_000,
      now: Date.now(),
    });
  if ((await claim())[0]?.id !== id) throw new Error(`job ${id} was not claimed`);
  return claim;
}

/**
 * A job that failed for good: recorded and claimed as claimedJob does, its one attempt dead (a
 * 502 that outlived its retries). Returns the claim, to try it again later.
 */
export async function deadJob(store: Store, id: string): Promise<() => Promise<OutboxJob[]>> {
  const claim = await claimedJob(store, id);
  const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] };
  await store.finishJob(id, 'w1', { status: 'dead', error }, Date.now());
  return claim;
}
