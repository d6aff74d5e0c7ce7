import type { Settings } from '../config/settings.js';
import type { RegistryClient } from '../registry/mfr/types.js';
import type { IntakeCounts, Propagator } from '../registry/propagation/propagator.js';
import type { Store } from '../store/types.js';
import { StoppedPartWay, type JobResult, type ScheduledJob } from './scheduler.js';

export interface PropagateJobDeps {
  store: Store;
  settings: () => Settings;
  propagator: Propagator;
  /** The registry client of the current settings; undefined when `registry.url` is not set. */
  registry: () => RegistryClient | undefined;
}

/** High-water mark of the registry's change feed (the client's opaque cursor). */
export const CHANGES_CURSOR = 'registry.changes';
/** When the last full read of the registry ended (epoch ms), to space them out. */
export const FULL_READ_CURSOR = 'registry.fullReadAt';
export const NO_REGISTRY_URL = 'no registry configured (registry.url)';

/**
 * One pull: the registry's changes since the stored high-water mark, page by page, each page
 * propagated before its cursor is stored (a kill between the two re-reads that page, which the
 * (registry id, version, system) keys make harmless); then held changes are planned again (a
 * person may have decided since) and facilities moved under a district published since are
 * written under it (Propagator.moveUnderPublished); a version the registry sent invalid is left out and listed in
 * the run's detail; then, at most every `registry.fullReadHours`, a full read
 * confirms which facilities the registry no longer lists.
 */
export async function propagateChanges(
  deps: PropagateJobDeps,
  signal: AbortSignal = new AbortController().signal,
): Promise<JobResult> {
  const client = deps.registry();
  if (!client) return { skipped: NO_REGISTRY_URL };
  const totals: IntakeCounts = { read: 0, changed: 0, queued: 0, held: 0, skipped: 0, refused: 0 };
  const refusals: string[] = [];
  let pages = 0;
  // stopped (the job's lock lost to another instance, or the mediator stopping): the next run
  // takes over from the stored cursor; the run says how many pages it got through first
  const stopIfAsked = () => {
    if (signal.aborted) throw new StoppedPartWay(signal.reason, { pages, ...totals });
  };
  for await (const page of client.changesSince(await deps.store.getCursor(CHANGES_CURSOR))) {
    stopIfAsked();
    const counts = await deps.propagator.intake(page.records);
    for (const k of Object.keys(totals) as (keyof IntakeCounts)[]) totals[k] += counts[k];
    refusals.push(...counts.refusals);
    // a page taken in but its cursor not stored is read again next run (the keys make it harmless)
    stopIfAsked();
    await deps.store.setCursor(CHANGES_CURSOR, page.cursor);
    pages++;
  }
  stopIfAsked();
  // a version kept by a run killed before its plan (a closure for absence, a push not resent)
  await deps.propagator.planUnplanned();
  stopIfAsked();
  const released = await deps.propagator.releaseHeld();
  stopIfAsked();
  // a facility moved under a district published since, not moved yet (a run killed mid-move, a
  // delivery's own look failing): each pull looks again
  await deps.propagator.moveUnderPublished();
  stopIfAsked();
  const { absent, relisted } = (await fullReadDue(deps))
    ? await confirmAbsent(deps, client, stopIfAsked)
    : { absent: 0, relisted: 0 };
  return {
    counts: { pages, ...totals, released, absent, relisted },
    // an ok run that left a version out says which and why (GET /admin/jobs, console, `jobs list`)
    ...(refusals.length ? { detail: refusals.join('\n') } : {}),
  };
}

async function fullReadDue(deps: PropagateJobDeps): Promise<boolean> {
  const hours = Number(deps.settings()['registry.fullReadHours'] ?? 24);
  if (!(hours > 0)) return false;
  const last = Number((await deps.store.getCursor(FULL_READ_CURSOR)) ?? 0);
  return Date.now() - last >= hours * 3_600_000;
}

async function confirmAbsent(deps: PropagateJobDeps, client: RegistryClient, stopIfAsked: () => void) {
  const listed = await client.listAll();
  // a full read is long: a stop that came during it writes no absences and no cursor
  stopIfAsked();
  const found = await deps.propagator.confirmAbsent(listed);
  await deps.store.setCursor(FULL_READ_CURSOR, String(Date.now()));
  return found;
}

export function propagateJob(deps: PropagateJobDeps): ScheduledJob {
  return {
    name: 'propagate',
    setting: 'schedules.propagate',
    description: "Pull the registry's facility changes and propagate them to every system",
    run: (signal) => propagateChanges(deps, signal),
  };
}
