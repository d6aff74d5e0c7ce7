import { canonicalJson } from '../domain/ids.js';
import { KeyTakenError } from '../outbox/errors.js';
import type { AcceptWriteRequest, WriteOutcome } from '../outbox/types.js';
import type { OutboxJob } from '../store/types.js';

/**
 * Accepts the writes, a write whose key is held for another payload that is the same write all
 * the same (FlowSpec.sameWriteOf: a delivery confirmed by PUT, then POSTed under the id its
 * identifier derives) recorded under the held payload's hash, so the outbox answers it as that
 * write. The outbox's check is not loosened: the hash of a job is the one it was accepted with
 * (jobs accepted before sameWriteOf keep theirs), and what sameWriteOf keeps must be equal.
 */
export async function acceptAsHeld(
  accept: (requests: AcceptWriteRequest[]) => Promise<WriteOutcome[]>,
  requests: AcceptWriteRequest[],
  held: (jobId: string) => Promise<OutboxJob | undefined>,
  sameWriteOf: (request: AcceptWriteRequest) => ((value: unknown) => unknown) | undefined,
): Promise<WriteOutcome[]> {
  for (let tries = 0; ; tries++) {
    try {
      return await accept(requests);
    } catch (err) {
      // each try settles one key (a write's secondary targets hold keys of their own)
      if (!(err instanceof KeyTakenError) || tries >= requests.length) throw err;
      const i = requests.findIndex((r) => r.idempotencyKey === err.idempotencyKey);
      const same = i < 0 ? undefined : sameWriteOf(requests[i]);
      const job = same && (await held(err.jobId));
      if (!job || canonicalJson(same(job.payload)) !== canonicalJson(same(requests[i].payload))) throw err;
      requests = requests.map((r, k) => (k === i ? { ...r, payloadHash: job.payloadHash } : r));
    }
  }
}
