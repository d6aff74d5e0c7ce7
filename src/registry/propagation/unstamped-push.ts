import { ConflictError, MediatorError } from '../../domain/errors.js';
import { describeError } from '../../outbox/errors.js';
import type { Store } from '../../store/types.js';
import type { RegistryClient, RegistryRecord } from '../mfr/types.js';
import { differingFields, sameFacility } from './same-change.js';

/**
 * A push without the registry's own instant (a PUT without meta.lastUpdated, any DELETE) has no
 * place in the registry's time: trusted as newer than the version kept, an operator's or an
 * integration's stale copy would overwrite the registry's newer version in every system. So it is
 * taken only where its place is sure:
 *  - it changes nothing against the version kept (the same content, a DELETE of a facility kept
 *    closed or never seen): nothing is taken, nothing is written;
 *  - a registry is configured (registry.url): only when the registry holds it now. What is taken
 *    is the registry's own version (its versionId and lastUpdated), so it is ordered with every
 *    other version and the pull of the same change is a no-op; a DELETE only when the registry no
 *    longer lists the Location. Anything else is refused (409) and changes nothing; the registry
 *    out of reach is a 503 (nothing taken, send again);
 *  - no registry (the pushes are the only source): in the order it arrives, unless the version
 *    kept carries the source's own meta.lastUpdated, which a push without one cannot be ordered
 *    against: refused (409), asking for meta.
 * A push with meta.lastUpdated is ordered by it: the store keeps the newest version.
 */
export interface PushOrderDeps {
  store: Store;
  /** The registry client of the current settings; undefined when registry.url is not set. */
  registry: () => RegistryClient | undefined;
}

/**
 * The record to take for a pushed one (itself, or the registry's current version), undefined when
 * it changes nothing; throws a MediatorError naming `at` when it is refused.
 */
export async function orderedPush(
  pushed: RegistryRecord,
  at: string,
  deps: PushOrderDeps,
): Promise<RegistryRecord | undefined> {
  if (!pushed.unstamped) return pushed;
  const kept = (await deps.store.getRegistryRecord(pushed.id))?.record as RegistryRecord | undefined;
  if (changesNothing(pushed, kept)) return undefined;
  const registry = deps.registry();
  if (!registry) return inArrivalOrder(pushed, kept, at);
  return confirmed(pushed, await registryVersion(registry, pushed, at), at);
}

function changesNothing(pushed: RegistryRecord, kept: RegistryRecord | undefined): boolean {
  if (!pushed.facility) return !kept?.facility || kept.facility.status === 'inactive';
  return !!kept?.facility && sameFacility(kept.facility, pushed.facility);
}

const metaAt = (pushed: RegistryRecord, at: string) => (pushed.facility ? [`${at}.meta.lastUpdated`] : [at]);

async function registryVersion(
  registry: RegistryClient,
  pushed: RegistryRecord,
  at: string,
): Promise<RegistryRecord | undefined> {
  try {
    return await registry.current(pushed.id);
  } catch (err) {
    const transient = !(err instanceof MediatorError) || (err as { transient?: boolean }).transient !== false;
    throw new MediatorError(transient ? 503 : 502, {
      code: transient ? 'transient' : 'exception',
      diagnostics: `${what(pushed)} carries no instant of the registry's, so the registry is asked whether it holds it, and it could not be read (${describeError(err)}): nothing was taken; send it again later`,
      expression: metaAt(pushed, at),
    });
  }
}

function confirmed(pushed: RegistryRecord, current: RegistryRecord | undefined, at: string): RegistryRecord {
  if (!pushed.facility) {
    if (!current) return pushed;
    throw new ConflictError(
      `the registry still lists Location/${pushed.id} (version ${current.version} of ${current.lastUpdated}${current.facility ? `, ${current.facility.status}` : ''}): a DELETE pushed for it is refused and nothing was taken; delete it in the registry first`,
      409,
      [at],
    );
  }
  if (current?.facility && sameFacility(current.facility, pushed.facility)) return current;
  const why = !current
    ? 'the registry holds no such Location'
    : current.facility
      ? `the registry's current version ${current.version} (meta.lastUpdated ${current.lastUpdated}) differs from it in ${differingFields(current.facility, pushed.facility).join(', ')}`
      : `the registry's current version ${current.version} is not valid R4 (${current.invalid})`;
  throw new ConflictError(
    `${what(pushed)} has no meta.lastUpdated and ${why}: without it a push is taken only when it is what the registry holds now (a stale copy would overwrite a newer version in every system), so nothing was taken. Send it with the registry's meta.versionId and meta.lastUpdated, or make the change in the registry first`,
    409,
    metaAt(pushed, at),
  );
}

function inArrivalOrder(pushed: RegistryRecord, kept: RegistryRecord | undefined, at: string): RegistryRecord {
  if (!pushed.facility || !kept || kept.unstamped) return pushed;
  throw new ConflictError(
    `${what(pushed)} has no meta.lastUpdated, and the version kept (${kept.version}) came with the source's own (${kept.lastUpdated}): a push without one cannot be ordered against it, so nothing was taken. Send meta.lastUpdated (and meta.versionId) as the source gave them`,
    409,
    metaAt(pushed, at),
  );
}

function what(pushed: RegistryRecord): string {
  return pushed.facility ? `Location/${pushed.id} as pushed` : `the DELETE of Location/${pushed.id}`;
}
