import { canonicalJson } from '../domain/ids.js';
import { KeyTakenError } from '../outbox/errors.js';
import type { AcceptWriteRequest, WriteOutcome } from '../outbox/types.js';
import type { OutboxJob } from '../store/types.js';

/** The outbox's outcomes, and by request index the held job a request was found the same as. */
export interface HeldOutcomes {
  outcomes: WriteOutcome[];
  sameAs: Map<number, OutboxJob>;
}

/** The job holding a key, as the store has it now. */
type HeldJob = (jobId: string) => Promise<OutboxJob | undefined>;

/** A flow's test of a write against the one holding its key (RoutedFlow.sameWrite). */
export interface SameWrite {
  /** FlowSpec.sameWriteOf: what of a value is compared; `sent` is the write being accepted. */
  of(value: unknown, sent: unknown): unknown;
  /**
   * Throws when `sent`, found the same as `held`, may still not be answered as it: a PUT under
   * an id nothing reads (neither its delivery's nor one of the held write's) would leave its
   * client an id that never reads.
   */
  answerable?(sent: unknown, held: OutboxJob): Promise<void>;
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
  held: HeldJob,
  sameWriteOf: (request: AcceptWriteRequest) => SameWrite | undefined,
): Promise<HeldOutcomes> {
  // reported, so the answer is that write's without reading its job again (RoutedFlow.asWritten)
  const sameAs = new Map<number, OutboxJob>();
  for (let tries = 0; ; tries++) {
    try {
      const outcomes = await accept(requests);
      await ownJobsKept(outcomes, sameAs, held);
      return { outcomes, sameAs };
    } catch (err) {
      // each try settles one key (a write's secondary targets hold keys of their own)
      if (!(err instanceof KeyTakenError) || tries >= requests.length) throw err;
      const i = requests.findIndex((r) => r.idempotencyKey === err.idempotencyKey);
      const same = i < 0 ? undefined : sameWriteOf(requests[i]);
      const job = same && (await held(err.jobId));
      const payload = requests[i].payload;
      if (!job || canonicalJson(same.of(job.payload, payload)) !== canonicalJson(same.of(payload, payload))) throw err;
      await same.answerable?.(payload, job);
      // the ids it came by are not the held write's (a POST's derived id, an R5 id of an R4
      // write): linked to that write, whose payload does not name them, they would read as
      // removed (410). Linked only if it is recorded as a job of its own (the held one ended
      // just before), in the accept's own transaction: a link written after its COMMIT was lost
      // by a crash between, and the resend then matched that job and linked nothing either.
      requests = requests.map((r, k) =>
        k === i ? { ...r, payloadHash: job.payloadHash, links: r.links?.map((l) => ({ ...l, whenCreated: true })) } : r,
      );
      sameAs.set(i, job);
    }
  }
}

/**
 * A request found the same as a held job, then answered as another job: the held one ended
 * (refused, given up) just before. Recorded as a job of its own, it is not that write: its answer
 * is its own job's (the ids it came by were linked to that job with it: `whenCreated`). A
 * duplicate of another job (a resend that raced it the same way) is answered as that job, read now.
 */
async function ownJobsKept(outcomes: WriteOutcome[], sameAs: Map<number, OutboxJob>, held: HeldJob): Promise<void> {
  for (const [i, job] of sameAs) {
    const outcome = outcomes[i];
    if (outcome.jobId === job.id && outcome.kind === 'duplicate') continue;
    const other = outcome.kind === 'duplicate' ? await held(outcome.jobId) : undefined;
    if (other) sameAs.set(i, other);
    else sameAs.delete(i);
  }
}
