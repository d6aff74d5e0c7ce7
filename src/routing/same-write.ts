import { canonicalJson } from '../domain/ids.js';
import { KeyTakenError } from '../outbox/errors.js';
import type { AcceptWriteRequest, WriteOutcome } from '../outbox/types.js';
import type { OutboxJob } from '../store/types.js';

/** The outbox's outcomes, and by request index the held job a request was found the same as. */
export interface HeldOutcomes {
  outcomes: WriteOutcome[];
  sameAs: Map<number, OutboxJob>;
}

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
  sameWriteOf: (request: AcceptWriteRequest) => ((value: unknown, sent: unknown) => unknown) | undefined,
): Promise<HeldOutcomes> {
  // reported, so the answer is that write's without reading its job again (RoutedFlow.asWritten)
  const sameAs = new Map<number, OutboxJob>();
  for (let tries = 0; ; tries++) {
    try {
      return { outcomes: await accept(requests), sameAs };
    } catch (err) {
      // each try settles one key (a write's secondary targets hold keys of their own)
      if (!(err instanceof KeyTakenError) || tries >= requests.length) throw err;
      const i = requests.findIndex((r) => r.idempotencyKey === err.idempotencyKey);
      const same = i < 0 ? undefined : sameWriteOf(requests[i]);
      const job = same && (await held(err.jobId));
      const sent = requests[i].payload;
      if (!job || canonicalJson(same(job.payload, sent)) !== canonicalJson(same(sent, sent))) throw err;
      // the ids it came by are not the held write's (a POST's derived id, an R5 id of an R4
      // write): linked to that write, whose payload does not name them, they read as removed (410)
      requests = requests.map((r, k) => (k === i ? { ...r, payloadHash: job.payloadHash, links: [] } : r));
      sameAs.set(i, job);
    }
  }
}
