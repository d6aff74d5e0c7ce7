import type { Settings } from '../config/settings.js';
import type { Facility } from '../domain/facility.js';
import type { MatchRecord } from '../registry/match/prepare.js';
import type { RegistryClient } from '../registry/mfr/types.js';
import { readRegistryFile, readRegistryServer, registrySource } from '../registry/registry-facilities.js';
import type { Connector } from '../routing/ports.js';
import type { JobRun, Store } from '../store/types.js';
import { isDatabaseAway } from '../store/database-away.js';
import { StoppedPartWay, type JobProgress, type JobResult, type ScheduledJob } from './scheduler.js';

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
  /** How long a system's write waits for its review lock (reconcile-run.ts's default); a test's shorter wait. */
  lockWaitMs?: number;
}

export const NO_REGISTRY = 'no registry configured';
export const NO_SYSTEM = 'no configured system lists its facilities';
export const NO_FAILED_SYSTEM = 'none of the systems to try again is configured any more';
/** A system's count in a run that left it failed: what a retry of the failed systems reads (failedSystems). */
const FAILED = '.failed';

/** The systems a run as stored left failed (its `<system>.failed` counts), for its retry. */
export function failedSystems(run: JobRun): string[] {
  return Object.entries(run.counts ?? {})
    .filter(([key, n]) => key.endsWith(FAILED) && n > 0)
    .map(([key]) => key.slice(0, -FAILED.length));
}

/**
 * Reconciles each configured system's facility list against the registry into the store's
 * crosswalk, the same incremental run as `cli reconcile --store`: only what changed is re-scored,
 * human decisions are kept. The registry is the master facility registry read through its client
 * (a full read: every current facility) when `registry.url` is set, else the `registry.file` list
 * (CSV or JSON, the formats `cli reconcile --right` reads). Counts per system: records on each
 * side, re-scored, written, retired, and the zones.
 *
 * Each system on its own: one down (its list unreadable) or whose review lock stayed held (a 409:
 * a `reconcile --store` from the CLI, a console decision) no longer stops the run for the systems
 * after it. Its crosswalk is left as it was, the run's detail says per system `ok` or `failed:
 * why`, and the run is recorded failed (someFailed) so GET /admin/jobs, the console and `jobs
 * list` show that something was left. The scheduler tries the failed systems again alone (a
 * 'retry' run: an hour later, then doubling, failed-retry.ts) until the next tick; each failed
 * system is counted `<system>.failed`, which the retry reads from the run as stored. The registry unreadable, the mediator's own database
 * away, or a stop still end the whole run, with the systems done so far in its counts and detail.
 */
export async function reconcileAll(
  deps: ReconcileJobDeps,
  signal: AbortSignal = new AbortController().signal,
  progress: (sofar: JobProgress) => void = () => {},
  /** Only these systems (a retry of the ones the run before left failed): the others are not read. */
  only?: string[],
): Promise<JobResult> {
  const settings = deps.settings();
  const source = registrySource(settings);
  if (source.kind === 'none') return { skipped: NO_REGISTRY };
  const systems = deps.connectors().filter((c) => c.facilities?.listAll && (!only || only.includes(c.system)));
  if (systems.length === 0) return { skipped: only ? NO_FAILED_SYSTEM : NO_SYSTEM };
  const names = systems.map((c) => c.system);
  // read once per run: a registry change (or a replaced file) is picked up at the next one
  const registry =
    source.kind === 'url'
      ? await readRegistryServer(settings, deps.registry)
      : (await readRegistryFile(source.file, deps.store, names)).records;
  const counts: Record<string, number> = { registry: registry.length };
  const said: string[] = [];
  let ok = 0;
  let failed = 0;
  // after the systems' own counts: how many were reconciled and how many failed
  const tally = () => ({ ...counts, systemsOk: ok, systemsFailed: failed });
  for (const connector of systems) {
    // the job's lock lost to another instance, or the mediator stopping: the systems done are kept
    if (signal.aborted) throw new StoppedPartWay(signal.reason, tally(), said.join('\n'));
    try {
      Object.assign(counts, await reconcileOne(deps, connector, registry, signal));
      ok++;
      said.push(`${connector.system}: ok`);
    } catch (err) {
      // the stop, or the mediator's own database away (every system's write would fail alike, and
      // the scheduler gives such a run's tick back): the run stops here, as it did before
      if (signal.aborted) throw new StoppedPartWay(signal.reason, tally(), said.join('\n'));
      if (isDatabaseAway(err) || isDatabaseAway((err as { cause?: unknown } | null)?.cause))
        throw new StoppedPartWay(err, tally(), said.join('\n'));
      // one system down (its list unreadable) or its review lock held (409): the others go on
      failed++;
      counts[`${connector.system}${FAILED}`] = 1;
      said.push(`${connector.system}: failed: ${whyOf(err)}${KEPT}`);
    }
    // kept with the run if a stop cuts it in the next system's list (scheduler.ts JobProgress)
    progress({ counts: tally(), done: said.join('\n') });
  }
  if (failed === 0) return { counts: tally() };
  const which = said.filter((line) => !line.endsWith(': ok')).map((line) => line.split(':')[0]);
  const summary =
    failed === systems.length
      ? `every system failed (${which.join(', ')})`
      : `${failed} of ${systems.length} systems failed (${which.join(', ')}); the others were reconciled`;
  return { counts: tally(), detail: [summary, ...said].join('\n'), someFailed: true };
}

/** Said after a system's failure: what the run did about its crosswalk, and when it is tried again. */
const KEPT = ' (its crosswalk kept as it was; tried again at the next run, or alone before it: a retry run)';
/** A system's failure in the run's detail: one line, bounded (the detail holds one per system). */
const WHY_LIMIT = 300;

function whyOf(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
  return text.length > WHY_LIMIT ? `${text.slice(0, WHY_LIMIT - 1)}…` : text;
}

/** One system's list reconciled into the crosswalk: its counts, keyed by the system. */
async function reconcileOne(
  deps: ReconcileJobDeps,
  connector: Connector,
  registry: (Facility | MatchRecord)[],
  signal: AbortSignal,
): Promise<Record<string, number>> {
  // the matcher is imported by the first run, not at start-up (issue 18)
  const { reconcileIntoStore } = await import('../registry/reconcile-run.js');
  // zones are areas, not facilities: the registry list holds facilities only
  const left = (await connector.facilities!.listAll!(signal)).filter((f) => f.kind === 'facility');
  signal.throwIfAborted(); // the job's lock lost to another instance: no write beside its run
  const options = deps.lockWaitMs !== undefined ? { lockWaitMs: deps.lockWaitMs } : {};
  const s = await reconcileIntoStore(deps.store, connector.system, left, registry, options);
  return {
    [`${s.system}.facilities`]: s.left,
    [`${s.system}.rescored`]: s.rescored,
    [`${s.system}.written`]: s.written,
    [`${s.system}.retired`]: s.retired,
    [`${s.system}.auto`]: s.zones.auto,
    [`${s.system}.review`]: s.zones.review,
    [`${s.system}.noMatch`]: s.zones['no-match'],
  };
}

export function reconcileJob(deps: ReconcileJobDeps): ScheduledJob {
  return {
    name: 'reconcile',
    setting: 'schedules.reconcile',
    description: "Reconcile each configured system's facility list against the registry",
    run: (signal, progress) => reconcileAll(deps, signal, progress),
    retry: {
      run: (systems, signal, progress) => reconcileAll(deps, signal, progress, systems),
      failedParts: failedSystems,
    },
  };
}
