import { ConflictError } from '../domain/errors.js';
import type { Delivery } from '../domain/index.js';
import { KeyTakenError } from '../outbox/errors.js';
import { keyNumber, type NumberedJobs } from '../store/numbered-keys.js';
import type { OutboxJob } from '../store/types.js';

/**
 * An in-progress delivery is a draft (OpenLMIS's proof of delivery saved, not confirmed; DHIS2's
 * events left active), and an app saves its draft as often as it counts again. Each draft of
 * other content is a write of its own, keyed after the delivery's own key: the first
 * `|in-progress`, the next `|in-progress:2`, and so on. The last draft sent again is that draft
 * (answered as that write, nothing written again); one of other content than the last (new, or
 * an earlier one's counted back) is the next number, and replaces the earlier upstream. The key of a completed write has no mark, so the
 * confirmation after the drafts is a write of its own too.
 */
const IN_PROGRESS = '|in-progress';

/** The mark of draft `n` (absent: the first) after the delivery's key. */
export function draftMark(n: number | undefined): string {
  return IN_PROGRESS + (n && n > 1 ? `:${n}` : '');
}

/**
 * A delivery's newest draft, read in one query (Store.findNumberedJobs under the first draft's
 * mark): the draft created last, whatever the numbers in use, and the highest number in use.
 * `numberedUnder(mark)`: that query under the delivery's key with that mark, for the delivery's
 * own identifier: keys escape identifier values since v68 (domain/business-key.ts), but a key
 * stored by an older instance still running after the upgrade does not, so another delivery's
 * key can be one of its draft keys (its value `DL-1|in-progress:2`); that delivery's job is none
 * of DL-1's drafts, though the number its key holds is in use.
 */
export async function newestDraft(
  numberedUnder: (mark: string) => Promise<NumberedJobs | undefined>,
): Promise<{ n: number; newest?: OutboxJob; highest: number }> {
  const found = await numberedUnder(IN_PROGRESS);
  if (!found?.newest) return { n: 0, highest: found?.highest ?? 0 };
  // its own newest draft's number is in use whatever its length: the store counts numbers of 15
  // digits at most (another delivery's `DL-1|in-progress:999999999999999` pushed DL-1 past them)
  const n = draftNumber(found.newest.idempotencyKey);
  return { n, newest: found.newest, highest: Math.max(found.highest, n) };
}

/** The number of the draft whose key this is (it ends with `|in-progress` or `|in-progress:n`). */
function draftNumber(key: string): number {
  return keyNumber(IN_PROGRESS, key.slice(key.lastIndexOf(IN_PROGRESS)));
}

/**
 * The jobs of a delivery's drafts a search by its number reads it through: the newest draft's,
 * and earlier ones only while none found is a write not refused (a refused draft names no delivery
 * the system holds), so the search finds its drafts as it finds its confirmation, without
 * reading every draft of a delivery saved a thousand times. `numberedUnder`: the newest draft in
 * one query under the delivery's key (newestDraft); `jobsUnder(mark)`: the jobs of one draft under
 * it. Under one key only: without a system the search asks under each key of the number
 * (jobs-written-under.ts), as one app's draft 3 is no draft of another app's delivery.
 */
export async function draftJobs(
  jobsUnder: (mark: string) => Promise<OutboxJob[]>,
  numberedUnder: (mark: string) => Promise<NumberedJobs | undefined>,
): Promise<OutboxJob[]> {
  const found: OutboxJob[] = [];
  const { n: last } = await newestDraft(numberedUnder);
  for (let n = last; n >= 1; n--) {
    const jobs = await jobsUnder(draftMark(n));
    found.push(...jobs);
    if (jobs.some((j) => j.status !== 'rejected' && j.status !== 'dead')) break;
  }
  return found;
}

/**
 * The in-progress delivery `d` numbered as the draft it is (others unchanged): the newest draft's
 * number when it equals that one (`same`: the outbox's same-write comparison of a held payload
 * and `d`), a draft sent again; else one past the highest number in use, never a used one. Only
 * the newest (created last, newestDraft): the upstream holds the last draft, so one equal to an
 * earlier draft (counted back: A, B, then A again) is a new draft, saved again; answered as that
 * earlier write, the upstream would keep B while the app was told A is saved. A new draft while
 * the newest is still waiting to be delivered (or being delivered) is a 409: delivered in either
 * order, the earlier could end up over the later.
 * `numberedUnder(mark)`: Store.findNumberedJobs under the delivery's key with that mark.
 */
export async function numberedDraft(
  d: Delivery,
  numberedUnder: (mark: string) => Promise<NumberedJobs | undefined>,
  same: (held: Delivery, sent: Delivery) => boolean,
): Promise<Delivery> {
  if (d.status !== 'in-progress') return d;
  const { n, newest: last, highest } = await newestDraft(numberedUnder);
  const held = last?.payload as Delivery | undefined;
  if (held && same(held, { ...d, draft: held.draft })) return withDraft(d, n);
  if (last && (last.status === 'pending' || last.status === 'in-flight'))
    throw new ConflictError(earlierDraftWaiting(d, last), 409, ['SupplyDelivery.status']);
  return withDraft(d, highest + 1);
}

function withDraft(d: Delivery, n: number): Delivery {
  const { draft: _draft, ...rest } = d;
  return n > 1 ? { ...rest, draft: n } : rest;
}

/**
 * Why a new draft waits for the one before it, in a client's words, with the job it waits for:
 * the handle its operator finds it by (GET /outbox/jobs/{id}) when it keeps waiting.
 */
function earlierDraftWaiting(d: Delivery, last: OutboxJob): string {
  const where =
    last.status === 'in-flight'
      ? `is being delivered to ${last.system} right now`
      : `is waiting to be delivered to ${last.system} (it is retried until ${last.system} takes it)`;
  return `delivery ${d.identifier.value} was not saved: its earlier draft (in-progress, outbox job ${last.id}) ${where}, and drafts are saved one after another, the later replacing the earlier. Nothing of this draft was written or queued; send it again once the earlier draft is delivered`;
}

/**
 * A draft whose number the outbox holds for other content lost a race: another draft of the
 * delivery (another instance's request, an app's double tap) was numbered alike and queued first.
 * Told as that, not as the outbox's reused-identifier conflict, which would have the app pick a
 * new number for the same delivery; sent again, this draft is the next (or waits for that one).
 */
export function draftSavedMeanwhile(err: unknown, d: Delivery): unknown {
  if (!(err instanceof KeyTakenError) || d.status !== 'in-progress') return err;
  return new ConflictError(
    `delivery ${d.identifier.value} was not saved: another draft of it was saved at the same time (outbox job ${err.jobId}), under the draft number this one was to take. Nothing of this draft was written or queued; send it again: it is then saved after that one (or answered as it, if it is the same)`,
    409,
    ['SupplyDelivery.status'],
  );
}
