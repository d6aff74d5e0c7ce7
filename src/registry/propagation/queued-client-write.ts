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
  constructor(system: string, recordId: string, now: number) {
    super({
      system,
      transient: true,
      upstreamStatus: 503,
      code: 'lock-error',
      diagnostics: `a client's write of ${system} record ${recordId} is still waiting to be delivered; the registry change is written after it`,
    });
    this.retryAt = now + QUEUED_CLIENT_WRITE_WAIT_MS;
  }
}

/**
 * Throws AfterQueuedClientWrite while a client's write of the record to this system is undelivered.
 * A client's job is keyed by what the system's write finds the record by (outbox_jobs.order_key:
 * `writeKey`, the connector's, of the payload): the same key of the record itself names it, whatever
 * FHIR id the job came under, even one neither the crosswalk nor a link knows (a DHIS2 job never
 * delivered, for a facility whose system of record is not linked to the registry). Jobs keyed by
 * their FHIR id (accepted before v25, or for a system without `writeKey`) are looked for by the
 * ids they may carry: the record's own, the FHIR ids whose writes reached this record (links), and
 * the ids the crosswalk holds for the registry facility in every system.
 */
export async function afterQueuedClientWrite(
  store: Store,
  system: string,
  record: Facility | undefined,
  registryId: string,
  writeKey?: (facility: Facility) => string | undefined,
  now = Date.now(),
): Promise<void> {
  if (!record?.id) return;
  const key = writeKey?.(record);
  const ids = await fhirIdsOf(store, system, record.id, registryId);
  if (await store.waitingWriteOf(FACILITIES.outboxFlow, system, key ? [key, ...ids] : ids))
    throw new AfterQueuedClientWrite(system, record.id, now);
}

/**
 * Throws AfterQueuedClientWrite while a client's write of the record a create would make is
 * undelivered. A create (the crosswalk links the registry facility to no record of this system)
 * names no record yet, but the connector's upsert finds one by its key (OpenLMIS: the code; OpenMRS:
 * the registry code; DHIS2: the UID derived from the code), and a client's POST of that code still
 * queued (the system down) is keyed the same (outbox_jobs.order_key): it will create that very
 * record. Written first, the two creates race: the later one fails as a duplicate code, or the
 * client's older payload lands over the registry's. After it, the create finds the client's record
 * and updates it, as the two were accepted.
 */
export async function afterQueuedClientCreate(
  store: Store,
  system: string,
  created: Facility,
  writeKey?: (facility: Facility) => string | undefined,
  now = Date.now(),
): Promise<void> {
  const key = writeKey?.(created);
  if (key && (await store.waitingWriteOf(FACILITIES.outboxFlow, system, [key])))
    throw new AfterQueuedClientWrite(system, key, now);
}

/** The FHIR Location ids a client's write of this system's record may carry. */
async function fhirIdsOf(store: Store, system: string, systemId: string, registryId: string): Promise<string[]> {
  const [links, crosswalk] = await Promise.all([
    store.linksToUpstream(FACILITIES.flow, system, [systemId]),
    store.listCrosswalkByRegistryId(registryId),
  ]);
  return [...new Set([systemId, ...links.map((l) => l.fhirId), ...crosswalk.map((c) => c.systemId)])];
}
