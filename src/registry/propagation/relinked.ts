import type { CrosswalkRow } from '../crosswalk-types.js';
import { LINKED } from '../../routing/facility-facts.js';
import { propagationKey, relinkKey } from '../../store/propagation-rows.js';
import type { OutboxJob, Propagation, Store } from '../../store/types.js';
import type { CrosswalkIndex } from './crosswalk-index.js';

/**
 * A registry facility linked anew in a system: its version was delivered (done, or refused) for
 * one record, and the facility is now linked to another (a break then an accept, an accept, an
 * undo putting a link back, a reconcile run's auto-link). Before, the row said done at that
 * version and every plan left it: the record linked now never got the registry's name, zone or
 * position. Such a row is planned again for the record linked now, under a key of that record's
 * (relinkKey): the version's first job holds propagationKey, done. Once only: the row, done for
 * the record linked, is left as any other. The record left behind gets nothing (it is no longer
 * linked; nothing closes it).
 */
export function relinked(row: Propagation | undefined, crosswalk: CrosswalkIndex | undefined): boolean {
  if (!row?.systemId || (row.state !== 'done' && row.state !== 'failed')) return false;
  const now = linkedRecord(crosswalk?.rowsFor(row.registryId) ?? [], row.registryId);
  return now !== undefined && now !== row.systemId;
}

/** The record of the system linked to the registry facility now, if one is. */
function linkedRecord(rows: CrosswalkRow[], registryId: string): string | undefined {
  return rows.find((r) => LINKED.has(r.state) && r.registryId === registryId)?.systemId;
}

/** The key a plan queued for `systemId` is made under: its record's own when the row was delivered for another. */
export function planKey(registryId: string, version: string, system: string, systemId?: string): string {
  return systemId ? relinkKey(registryId, version, system, systemId) : propagationKey(registryId, version, system);
}

/**
 * The jobs of a row's change: those of its record's relinkKey when it has some (a record linked
 * anew), else those of its version's propagationKey.
 */
export async function rowJobs(store: Store, row: Propagation): Promise<OutboxJob[]> {
  if (row.systemId) {
    const anew = await store.findJobsByKey(relinkKey(row.registryId, row.version, row.system, row.systemId));
    if (anew.length) return anew;
  }
  return store.findJobsByKey(propagationKey(row.registryId, row.version, row.system));
}

/**
 * The record a plan queues the version for anew: the plan's record, when the row it was made from
 * (`seen`) had that version delivered for another record; undefined for any other plan.
 */
export function relinkedTo(seen: Propagation | undefined, plan: Propagation): string | undefined {
  if (plan.state !== 'queued' || seen?.version !== plan.version || !seen.systemId) return undefined;
  if (seen.state !== 'done' && seen.state !== 'failed') return undefined;
  return plan.systemId && plan.systemId !== seen.systemId ? plan.systemId : undefined;
}
