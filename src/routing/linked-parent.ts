import { UpstreamError } from '../domain/errors.js';
import type { Facility } from '../domain/facility.js';
import type { OutboxJob, Store } from '../store/types.js';

/**
 * How long after its parent's next attempt a facility's write looks again at that parent's write
 * still queued: by then the attempt has usually ended (a look before it finds it still queued).
 */
export const QUEUED_PARENT_WAIT_MS = 2_000;
/**
 * The longest a facility's write waits before it looks again at a parent's write still queued,
 * whatever that write's backoff says: an operator's retry of the parent makes it due at once.
 */
export const QUEUED_PARENT_MAX_WAIT_MS = 60_000;
/**
 * How long a facility's write waits before it looks again at a parent whose write was given up:
 * nothing happens to that write until an operator retries (or drops) it.
 */
export const GIVEN_UP_PARENT_WAIT_MS = 30_000;
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
 * Until an outbox job is no longer in flight, or `ms` passes; false at once when it is not waited
 * for here (another instance delivers it: DeliveryContext.awaitJob).
 */
export type AwaitJob = (jobId: string, ms: number) => Promise<boolean>;

/**
 * A parent still being written: its facility's job waits for it, uncharged (`retryAt`,
 * outbox/failures.ts), rather than send the system an id it does not hold yet and be refused.
 * It looks again just after the parent's write is next attempted (`parentDueAt`), not sooner:
 * a parent waiting out a long backoff (its system down) would otherwise have each of its
 * children attempted, and an attempt recorded, every QUEUED_PARENT_WAIT_MS meanwhile.
 */
export class AfterQueuedParent extends UpstreamError {
  readonly retryAt: number;
  constructor(system: string, parentId: string, now: number, parentDueAt?: number) {
    super({
      system,
      transient: true,
      upstreamStatus: 503,
      code: 'lock-error',
      diagnostics: `the parent Location/${parentId} is still waiting to be written; this facility is written after it`,
    });
    this.retryAt =
      parentDueAt === undefined
        ? now + QUEUED_PARENT_WAIT_MS
        : Math.min(now + QUEUED_PARENT_MAX_WAIT_MS, Math.max(now, parentDueAt) + QUEUED_PARENT_WAIT_MS);
  }
}

/**
 * A parent whose write was given up (dead-lettered): it is still the client's parent, and an
 * operator retries it once its system is back. Sent as it is, the facility would be refused for
 * good (its system does not hold the mediator's id), and a Bundle of a district and its facilities
 * would have every facility to send again. So it waits for the parent, uncharged, as for one
 * still queued; a parent the operator drops instead has no job, and the facility is then sent as
 * it names its parent.
 */
export class AfterGivenUpParent extends UpstreamError {
  readonly retryAt: number;
  constructor(system: string, parentId: string, parentJob: string, now: number) {
    super({
      system,
      transient: true,
      upstreamStatus: 503,
      code: 'lock-error',
      diagnostics:
        `the write of the parent Location/${parentId} was given up (outbox job ${parentJob}); ` +
        'this facility is written after it once an operator retries that job',
    });
    this.retryAt = now + GIVEN_UP_PARENT_WAIT_MS;
  }
}

/**
 * A facility whose parent is named by the id this mediator gave a Location it wrote (a create's
 * id, derived from its identifier, as its answer's Location header says; or a Location created
 * earlier in the same transaction Bundle): the system holds that parent under its own id (a DHIS2
 * UID, an OpenMRS uuid), which the write's link records once delivered. So the parent is given as
 * that record: the system's own id when the link is to this system, else the other system's, which
 * the secondary target's parent lookup (facility-parent.ts) then finds and maps like any parent the
 * system of record holds. A parent whose write is still queued, or was given up, makes this write
 * wait for it; a parent with no link, or whose write was refused, is left as sent.
 */
export async function withLinkedParent(
  system: string,
  facility: Facility,
  { store, awaitJob = pollJob(store) }: { store: LinkedParentStore; awaitJob?: AwaitJob },
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
    if (!job || !unsettled(job)) return facility;
    if (job.status === 'dead') throw new AfterGivenUpParent(system, parentId, job.id, Date.now());
    if (job.status === 'pending') throw new AfterQueuedParent(system, parentId, Date.now(), job.nextAttemptAt);
    const left = until - Date.now();
    if (left <= 0) throw new AfterQueuedParent(system, parentId, Date.now());
    // the outbox's wait gives this attempt's delivery slot to other writes meanwhile; a parent
    // another instance writes is looked at again later, as a queued one is
    if (!(await awaitJob(job.id, left))) throw new AfterQueuedParent(system, parentId, Date.now());
  }
}

/** Without the outbox (a direct call): the store read again every POLL_MS while the job is in flight. */
function pollJob(store: LinkedParentStore): AwaitJob {
  return async (jobId, ms) => {
    const until = Date.now() + ms;
    while (Date.now() < until && (await store.getJob(jobId))?.status === 'in-flight')
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, until - Date.now())));
    return true;
  };
}

/** A parent's write that may still give the system its record: waiting, under way, or given up for now. */
function unsettled(job: OutboxJob): boolean {
  return job.status === 'pending' || job.status === 'in-flight' || job.status === 'dead';
}
