import type { Facility } from '../domain/facility.js';
import { BusinessRuleError } from '../domain/errors.js';
import type { RegistryRecordRow, Store } from '../store/types.js';
import type { CrosswalkRow } from './crosswalk-types.js';
import type { RegistryRecord } from './mfr/types.js';

/**
 * A link to a registry facility the registry has closed (status inactive, as the registry's
 * latest word says: latestWord), made by an accept or by an undo that puts a link back, is refused
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
  const kept = await known.store.getRegistryRecord(registryId);
  const listed = (await known.registry?.().catch(() => undefined))?.find((f) => f.id === registryId);
  const facility = latestWord(kept, listed);
  if (facility?.status !== 'inactive') return;
  throw new BusinessRuleError(
    `registry facility ${registryId} (${facility.name}) is closed in the registry: linked to it, ${row.system}/${row.systemId} would be deactivated by the next registry propagation; ${what === 'link' ? 'link the facility that replaced it' : 'decide the record again'}, or send "linkClosed": true to ${what} all the same; nothing was ${what === 'link' ? 'decided' : 'undone'}`,
    'registryId',
  );
}

/**
 * The registry's latest word on a facility: the registry pull's kept record (changedAt, the
 * registry's meta.lastUpdated) or the registry list's entry (its lastUpdated: a registry server's
 * list carries it, a registry.file rarely does), whichever changed last. The pull used to win
 * always, so a facility the list had since reopened was refused, and one the list had since
 * closed was linked. When which is fresher cannot be told (a time missing, or the same time and
 * two answers), closed if either says so: a refusal wrongly made costs the caller a
 * `"linkClosed": true`, a link wrongly allowed deactivates a live record. A record pushed without
 * meta.lastUpdated (unstamped) has no time: its changedAt is a place just after the version kept
 * before it (propagator.ts), so a list read before the push looked fresher than its closure.
 */
export function latestWord(kept: RegistryRecordRow | undefined, listed: Facility | undefined): Facility | undefined {
  const pulled = (kept?.record as { facility?: Facility } | undefined)?.facility;
  if (!pulled || !listed) return pulled ?? listed;
  const pulledAt = (kept!.record as RegistryRecord).unstamped ? NaN : kept!.changedAt;
  const listedAt = listed.lastUpdated === undefined ? NaN : Date.parse(listed.lastUpdated);
  if (Number.isFinite(pulledAt) && Number.isFinite(listedAt) && pulledAt !== listedAt)
    return listedAt > pulledAt ? listed : pulled;
  return pulled.status === 'inactive' ? pulled : listed;
}
