import type { Settings } from '../config/settings.js';
import { loadFacilityList } from '../registry/facility-list.js';
import { reconcileIntoStore } from '../registry/reconcile-run.js';
import type { Connector } from '../routing/ports.js';
import type { Store } from '../store/types.js';
import type { JobResult, ScheduledJob } from './scheduler.js';

export interface ReconcileJobDeps {
  store: Store;
  settings: () => Settings;
  /** The connectors configured now (a live settings change adds or removes one). */
  connectors: () => Connector[];
}

export const NO_REGISTRY = 'no registry configured';
export const NO_SYSTEM = 'no configured system lists its facilities';

/**
 * Reconciles each configured system's facility list against the registry list (`registry.file`,
 * CSV or JSON, the formats `cli reconcile --right` reads) into the store's crosswalk, the same
 * incremental run as `cli reconcile --store`: only what changed is re-scored, human decisions are
 * kept. Counts per system: records on each side, re-scored, written, retired, and the zones.
 */
export async function reconcileAll(deps: ReconcileJobDeps): Promise<JobResult> {
  const file = deps.settings()['registry.file'];
  if (typeof file !== 'string' || file === '') return { skipped: NO_REGISTRY };
  const systems = deps.connectors().filter((c) => c.facilities?.listAll);
  if (systems.length === 0) return { skipped: NO_SYSTEM };
  // read once per run: an operator replacing the file between runs is picked up at the next one
  const registry = loadFacilityList(file, { system: 'registry' }).records;
  const counts: Record<string, number> = { registry: registry.length };
  for (const connector of systems) {
    // zones are areas, not facilities: the registry list holds facilities only
    const left = (await connector.facilities!.listAll!()).filter((f) => f.kind === 'facility');
    const s = await reconcileIntoStore(deps.store, connector.system, left, registry);
    Object.assign(counts, {
      [`${s.system}.facilities`]: s.left,
      [`${s.system}.rescored`]: s.rescored,
      [`${s.system}.written`]: s.written,
      [`${s.system}.retired`]: s.retired,
      [`${s.system}.auto`]: s.zones.auto,
      [`${s.system}.review`]: s.zones.review,
      [`${s.system}.noMatch`]: s.zones['no-match'],
    });
  }
  return { counts };
}

export function reconcileJob(deps: ReconcileJobDeps): ScheduledJob {
  return {
    name: 'reconcile',
    setting: 'schedules.reconcile',
    description: "Reconcile each configured system's facility list against the registry",
    run: () => reconcileAll(deps),
  };
}
