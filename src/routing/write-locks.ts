import { ConflictError } from '../domain/errors.js';
import type { Facility } from '../domain/index.js';
import { LockWaitTimeout } from '../store/keyed-mutex.js';
import type { Store } from '../store/types.js';

/**
 * The step every write of a resource takes (FhirServices.exclusively): the FHIR edge's PUTs,
 * PATCHes, DELETEs, transaction entries and replacing creates, and every other writer of the same
 * records (registry propagation), so none lands between another's If-Match check and its write.
 * Names are the edge's (interactions.writeLocks: `Location/[id]`, `Location?identifier=s|v`, an
 * order's group); each is one store lock, across instances on PostgreSQL.
 */
export function withWriteLocks<T>(store: Store, names: string[], fn: () => Promise<T>): Promise<T> {
  return store.withLocks(
    names.map((n) => `fhir-update|${n}`),
    fn,
    { waitMs: UPDATE_LOCK_WAIT_MS },
  );
}

/** withWriteLocks for a client's request: a wait that ran out is a 409 to send again later. */
export function exclusivelyForClient<T>(store: Store, names: string[], fn: () => Promise<T>): Promise<T> {
  return withWriteLocks(store, names, fn).catch((err: unknown) => {
    if (!(err instanceof LockWaitTimeout)) throw err;
    throw new ConflictError(`another update of ${names.join(', ')} is still being written; read it again and retry`);
  });
}

/**
 * The names a write of this facility record takes, as the edge names a Location that carries it
 * (its FHIR id, each identifier): a propagation to the record meets a PUT of Location/[id] on the
 * id, and a POST of its code on the identifier.
 */
export function facilityWriteLocks(facility: Facility): string[] {
  const names = facility.id ? [`Location/${facility.id}`] : [];
  for (const i of facility.identifiers)
    if (i.system && i.value) names.push(`Location?identifier=${i.system}|${i.value}`);
  return names;
}

/** How long a write waits for another of the same resource (an upstream write, its retries). */
export const UPDATE_LOCK_WAIT_MS = 30_000;
