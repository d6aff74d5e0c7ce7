import type { Settings } from '../config/settings.js';
import type { RegistryClient } from '../registry/mfr/types.js';
import { readRegistryFile, readRegistryServer, registrySource } from '../registry/registry-facilities.js';
import type { Connector } from '../routing/ports.js';
import type { Store } from '../store/types.js';
import type { JobResult, ScheduledJob } from './scheduler.js';

export interface ReconcileJobDeps {
  store: Store;
  settings: () => Settings;
  /** The connectors configured now (a live settings change adds or removes one). */
  connectors: () => Connector[];
  /**
   * The mediator's registry client (absent when registry.url is not set). Without this dep a run
   * with registry.url set makes a client of its own for the run.
   */
  registry?: () => RegistryClient | undefined;
}

export const NO_REGISTRY = 'no registry configured';
export const NO_SYSTEM = 'no configured system lists its facilities';

/**
 * Reconciles each configured system's facility list against the registry into the store's
 * crosswalk, the same incremental run as `cli reconcile --store`: only what changed is re-scored,
 * human decisions are kept. The registry is the master facility registry read through its client
 * (a full read: every current facility) when `registry.url` is set, else the `registry.file` list
 * (CSV or JSON, the formats `cli reconcile --right` reads). Counts per system: records on each
 * side, re-scored, written, retired, and the zones.
 */
export async function reconcileAll(
  deps: ReconcileJobDeps,
  signal: AbortSignal = new AbortController().signal,
): Promise<JobResult> {
  const settings = deps.settings();
  const source = registrySource(settings);
  if (source.kind === 'none') return { skipped: NO_REGISTRY };
  const systems = deps.connectors().filter((c) => c.facilities?.listAll);
  if (systems.length === 0) return { skipped: NO_SYSTEM };
  // the matcher (and in readRegistryFile the list reader) is imported by the first run, not at start-up (issue 18)
  const { reconcileIntoStore } = await import('../registry/reconcile-run.js');
  const names = systems.map((c) => c.system);
  // read once per run: a registry change (or a replaced file) is picked up at the next one
  const registry =
    source.kind === 'url'
      ? await readRegistryServer(settings, deps.registry)
      : (await readRegistryFile(source.file, deps.store, names)).records;
  const counts: Record<string, number> = { registry: registry.length };
  for (const connector of systems) {
    // zones are areas, not facilities: the registry list holds facilities only
    const left = (await connector.facilities!.listAll!()).filter((f) => f.kind === 'facility');
    signal.throwIfAborted(); // the job's lock lost to another instance: no write beside its run
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
    run: (signal) => reconcileAll(deps, signal),
  };
}
