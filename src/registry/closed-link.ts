import type { Facility } from '../domain/facility.js';
import { BusinessRuleError } from '../domain/errors.js';
import type { Store } from '../store/types.js';
import type { CrosswalkRow } from './crosswalk-types.js';

/**
 * A link to a registry facility the registry has closed (status inactive: in the pull's record,
 * else in the registry list), made by an accept or by an undo that puts a link back, is refused
 * unless the caller says `"linkClosed": true`. Propagation deactivates every record linked to a
 * closed facility (propagation/plan.ts), so such a link, made from a suggestion older than the
 * closure or by picking the old facility beside its successor, closed the system's live record at
 * the next run without anyone having asked for that. A registry that cannot be read does not stop
 * a review (review-routes.ts assertStillInRegistry does the same).
 */
export async function assertOpenInRegistry(
  row: CrosswalkRow,
  registryId: string,
  known: { registry?: () => Promise<Facility[]>; store: Pick<Store, 'getRegistryRecord'> },
  linkClosed: boolean | undefined,
  what: 'link' | 'put back the link',
): Promise<void> {
  if (linkClosed) return;
  const kept = (await known.store.getRegistryRecord(registryId))?.record as { facility?: Facility } | undefined;
  const facility =
    kept?.facility ?? (await known.registry?.().catch(() => undefined))?.find((f) => f.id === registryId);
  if (facility?.status !== 'inactive') return;
  throw new BusinessRuleError(
    `registry facility ${registryId} (${facility.name}) is closed in the registry: linked to it, ${row.system}/${row.systemId} would be deactivated by the next registry propagation; ${what === 'link' ? 'link the facility that replaced it' : 'decide the record again'}, or send "linkClosed": true to ${what} all the same; nothing was ${what === 'link' ? 'decided' : 'undone'}`,
    'registryId',
  );
}
