import { UpstreamError } from '../domain/errors.js';
import type { Facility } from '../domain/facility.js';
import type { Store } from '../store/types.js';

/** How long a facility's write waits before it looks again at its parent's write still queued. */
export const QUEUED_PARENT_WAIT_MS = 2_000;
/**
 * How long one attempt waits for a parent whose write is under way: the writes of a transaction
 * are delivered at once, side by side, so a facility created under a district created in the same
 * Bundle finds that district's write in flight; it usually ends within this, and the facility is
 * then written in the same answer rather than queued.
 */
export const PARENT_IN_FLIGHT_WAIT_MS = 3_000;
const POLL_MS = 25;

export type LinkedParentStore = Pick<Store, 'getLink' | 'getJob'>;

/**
 * A parent still being written: its facility's job waits for it, uncharged (`retryAt`,
 * outbox/failures.ts), rather than send the system an id it does not hold yet and be refused.
 */
export class AfterQueuedParent extends UpstreamError {
  readonly retryAt: number;
  constructor(system: string, parentId: string, now: number) {
    super({
      system,
      transient: true,
      upstreamStatus: 503,
      code: 'lock-error',
      diagnostics: `the parent Location/${parentId} is still waiting to be written; this facility is written after it`,
    });
    this.retryAt = now + QUEUED_PARENT_WAIT_MS;
  }
}

/**
 * A facility whose parent is named by the id this mediator gave a Location it wrote (a create's
 * id, derived from its identifier, as its answer's Location header says; or a Location created
 * earlier in the same transaction Bundle): the system holds that parent under its own id (a DHIS2
 * UID, an OpenMRS uuid), which the write's link records once delivered. So the parent is given as
 * that record: the system's own id when the link is to this system, else the other system's, which
 * the secondary target's parent lookup (facility-parent.ts) then finds and maps like any parent the
 * system of record holds. A parent whose write is still queued makes this write wait for it; a
 * parent with no link, or whose write was refused, is left as sent.
 */
export async function withLinkedParent(
  system: string,
  facility: Facility,
  store: LinkedParentStore,
  waitMs = PARENT_IN_FLIGHT_WAIT_MS,
): Promise<Facility> {
  const parentId = facility.partOf;
  if (!parentId) return facility;
  const until = Date.now() + waitMs;
  for (;;) {
    const link = await store.getLink('facilities', parentId);
    if (!link) return facility;
    if (link.upstreamId) return link.upstreamId === parentId ? facility : { ...facility, partOf: link.upstreamId };
    const job = link.jobId ? await store.getJob(link.jobId) : undefined;
    if (!job || (job.status !== 'pending' && job.status !== 'in-flight')) return facility;
    if (job.status === 'pending' || Date.now() >= until) throw new AfterQueuedParent(system, parentId, Date.now());
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
