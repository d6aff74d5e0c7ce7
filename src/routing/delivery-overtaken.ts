import type { Delivery } from '../domain/index.js';
import { sameIdentifier } from '../domain/identifiers.js';
import type { OutboxJob, Store } from '../store/types.js';
import type { WriteResult } from './ports.js';

/**
 * A draft (an in-progress delivery, delivery-drafts.ts) waits queued while its system is down; the
 * app meanwhile posts the delivery completed, and that write lands first. Sent now, the draft
 * would reopen or overwrite what was received (DHIS2 events ACTIVE again), or be refused as
 * "already confirmed" (OpenLMIS) and show as a failure though nothing went wrong: a later write of
 * the same delivery made it moot. Such a draft ends done and `superseded` (the word the outbox's
 * propagation jobs end with when a newer version took their place), naming what the completion
 * wrote, and nothing is sent.
 *
 * Later: the completion was accepted after the draft (its job taken by the database after the
 * draft's, same system: AcceptedAfter). A draft accepted after the completion is no such draft:
 * the client saved a draft of a delivery it had completed, which its connector refuses (409), as
 * before. Where only the accepting instances' stamps tell (byCreatedAt), two jobs stamped in one
 * millisecond are not told apart, so they are left to the connector too: a refusal, never a write.
 *
 * Delivered: the completion's job done; or, once the draft's own write was refused 409 as its
 * record completed already (`refused`: a CompletedUpstreamError), in flight too: the two were sent
 * at the same time, and the system holds the delivery completed, while the completion's job has
 * not yet recorded its end. A refusal for another reason stands: the completion may yet fail. So
 * does one while a completion accepted before the draft was delivered: that one completed the
 * record (the draft came after it, refused as any such draft), not the one still in flight, which
 * may yet fail as well.
 */
export const SUPERSEDED = 'superseded';

/**
 * The ids of `others` accepted after `job`. The store's (Store.acceptedAfter) is the database's
 * own order: created_at is each accepting instance's clock, and on PostgreSQL two instances may
 * be seconds apart, so a completion accepted after the draft could read as earlier (the draft
 * sent after it: DHIS2's events reopened) or a draft saved after the completion as earlier (an
 * app's new draft superseded, never sent, where it should be refused).
 *
 * accept_seq is taken at insert, not at commit, so two accepts whose transactions overlap can
 * commit in the other order. That orders nothing a client ordered: a write sent after another's
 * answer is inserted after that one committed, so after its number was taken (one sequence, no
 * per-session cache: numbers rise across instances). Overlapping accepts were both sent before
 * either was answered; either order is one the client could have meant, and each ends as a serial
 * one would (the draft superseded, or sent and refused as after the completion); the completion
 * is never undone by it. Only jobs done or in flight, both committed, are compared.
 */
export type AcceptedAfter = (job: OutboxJob, others: OutboxJob[]) => Promise<Set<string>>;

/** AcceptedAfter by the accepting instances' stamps, where the store has no order of its own. */
export const byCreatedAt: AcceptedAfter = async (job, others) =>
  new Set(others.filter((c) => c.createdAt > job.createdAt).map((c) => c.id));

/**
 * AcceptedAfter in the store's own order (Store.acceptedAfter); undefined where it has none. A
 * job the store does not hold has nothing to be ordered by there: its stamp then, as before.
 */
export function storeOrder(store: Pick<Store, 'acceptedAfter'>): AcceptedAfter | undefined {
  const acceptedAfter = store.acceptedAfter?.bind(store);
  if (!acceptedAfter) return undefined;
  return async (job, others) => {
    const later = await acceptedAfter(
      job.id,
      others.map((o) => o.id),
    );
    return later ? new Set(later) : byCreatedAt(job, others);
  };
}

/**
 * The result standing for draft job `job` when a completion of its delivery accepted after it was
 * delivered to the same system; else undefined (the draft is written as usual). The completion is
 * found under `keys` (the delivery's key without a draft mark, and its copy for the draft's system
 * as a secondary target: flows.ts completionKeys), or, once refused, among the writes
 * to the record the refusal named (`writtenTo`, CompletedUpstreamError): an app may save its draft
 * under its own identifier and complete the delivery by a PUT of it as read, under the proof of
 * delivery's own identifier, another key, yet the same proof of delivery.
 */
export async function draftOvertaken(
  job: OutboxJob,
  keys: readonly string[],
  findJobsByKey: (key: string) => Promise<OutboxJob[]>,
  refused = false,
  writtenTo: () => Promise<OutboxJob[]> = async () => [],
  acceptedAfter: AcceptedAfter = byCreatedAt,
): Promise<WriteResult | undefined> {
  if ((job.payload as Delivery).status !== 'in-progress' || !keys.length) return undefined;
  const delivered = (c: OutboxJob) => c.status === 'done' || (refused && c.status === 'in-flight');
  const completes = (c: OutboxJob) =>
    c.id !== job.id &&
    c.flow === job.flow &&
    c.system === job.system &&
    (c.payload as Delivery).status !== 'in-progress';
  const later = async (jobs: OutboxJob[]) => (jobs.length ? await acceptedAfter(job, jobs) : new Set<string>());
  const overtaking = async (jobs: OutboxJob[]) => {
    const found = jobs.filter((c) => completes(c) && delivered(c));
    const after = await later(found);
    return found.find((c) => after.has(c.id));
  };
  // of this delivery only: an identifier value may hold `|`, and `keys` holds the spelling a
  // release before v68 gave them, unescaped, so another delivery's key can be one of them
  // (DL-1|dhis2's was DL-1's copy key for DHIS2), and its completion is not this one's
  const underKey = (await Promise.all(keys.map(findJobsByKey))).flat().filter((c) => sameDelivery(c, job));
  let linked: OutboxJob[] | undefined;
  const linkedJobs = async () => (linked ??= await writtenTo());
  const completion = (await overtaking(underKey)) ?? (refused ? await overtaking(await linkedJobs()) : undefined);
  if (!completion) return undefined;
  if (completion.status === 'in-flight') {
    // of the draft's millisecond too: not told apart, so not later (as above), the refusal stands
    const done = [...underKey, ...(await linkedJobs())].filter((c) => completes(c) && c.status === 'done');
    const after = await later(done);
    if (done.some((c) => !after.has(c.id))) return undefined;
  }
  return { system: job.system, ids: { ...completion.result?.ids }, status: SUPERSEDED };
}

/** Whether jobs `a` and `b` write one delivery: the same identifier, system and value. */
function sameDelivery(a: OutboxJob, b: OutboxJob): boolean {
  return sameIdentifier((a.payload as Delivery).identifier, (b.payload as Delivery).identifier);
}
