import { UpstreamError } from '../../domain/errors.js';
import type { Facility } from '../../domain/facility.js';
import { FACILITIES } from '../../routing/flows.js';
import type { Store } from '../../store/types.js';

/** How long a registry change waits before it looks again at a client write queued before it. */
export const QUEUED_CLIENT_WRITE_WAIT_MS = 5_000;

/**
 * A registry change of a record a client's write of it is still queued for (a PUT answered 202,
 * retried in the background by the worker, which takes no lock): written now, it would be
 * overwritten by that write when its retry lands, made from the record before the registry
 * change. It waits for that write instead, uncharged (`retryAt`, outbox/failures.ts), and is then
 * built on what the client wrote.
 */
export class AfterQueuedClientWrite extends UpstreamError {
  readonly retryAt: number;
  constructor(system: string, facilityId: string, now: number) {
    super({
      system,
      transient: true,
      upstreamStatus: 503,
      code: 'lock-error',
      diagnostics: `a client's write of Location/${facilityId} is still waiting to be delivered to ${system}; the registry change is written after it`,
    });
    this.retryAt = now + QUEUED_CLIENT_WRITE_WAIT_MS;
  }
}

/** Throws AfterQueuedClientWrite while the record's last client write to this system is undelivered. */
export async function afterQueuedClientWrite(
  store: Store,
  system: string,
  record: Facility | undefined,
  now = Date.now(),
): Promise<void> {
  if (!record?.id) return;
  const link = await store.getLink(FACILITIES.flow, record.id);
  const job = link?.jobId ? await store.getJob(link.jobId) : undefined;
  if (job?.system === system && (job.status === 'pending' || job.status === 'in-flight'))
    throw new AfterQueuedClientWrite(system, record.id, now);
}
