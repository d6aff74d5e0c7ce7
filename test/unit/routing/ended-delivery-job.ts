/**
 * A delivery's write as the outbox leaves it once ended, and retention run to its end: the rig of
 * the draft-numbering and retention tests (delivery-draft-long-number, delivery-drafts-retained,
 * delivery-drafts-retained-bar), on the real store of either engine.
 */
import type { Delivery } from '../../../src/domain/index.js';
import type { JobOutcome, Store } from '../../../src/store/types.js';

/** Delivered on system `a` as its delivery `upstream`. */
export const deliveredAs = (upstream: string): JobOutcome => ({
  status: 'done',
  result: { system: 'a', ids: { delivery: upstream } },
});

/** Refused by system `a` for good (a 400). */
export const REFUSED: JobOutcome = {
  status: 'rejected',
  error: { name: 'UpstreamError', status: 400, issues: [{ code: 'invalid', diagnostics: 'refused' }] },
};

/** Job `id` writing `d` under `key` to system `a`, accepted at `at` and ended a millisecond later as `outcome`. */
export async function endedJob(
  store: Store,
  id: string,
  key: string,
  d: Delivery,
  at: number,
  outcome: JobOutcome,
): Promise<void> {
  const [r] = await store.recordWrites(
    [
      {
        id,
        flow: 'deliveries',
        system: 'a',
        idempotencyKey: key,
        payloadHash: `hash-${id}`,
        payload: d,
        status: 'in-flight',
        attempts: 1,
        nextAttemptAt: at + 3_600_000,
        leaseOwner: 'w1',
        leaseUntil: at + 3_600_000,
        createdAt: at,
      },
    ],
    [],
  );
  if (!r.created) throw new Error(`job ${id} not recorded`);
  if (!(await store.finishJob(id, 'w1', outcome, at + 1))) throw new Error(`job ${id} not ended`);
}

/** Retention's batches until one examines fewer than its limit. */
export async function pruneAll(store: Store, before: number): Promise<void> {
  let after: Awaited<ReturnType<Store['pruneFinished']>>['last'];
  for (;;) {
    const r = await store.pruneFinished({ before, limit: 50, ...(after ? { after } : {}) });
    if (r.examined < 50) return;
    after = r.last ?? after;
  }
}
