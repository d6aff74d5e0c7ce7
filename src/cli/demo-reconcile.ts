import type { Scheduler } from '../jobs/scheduler.js';

/**
 * The demo's one reconcile, run as soon as it serves: without it the crosswalk is empty and every
 * registry change the propagate job pulls (every 5 minutes) is held "this system was never
 * reconciled against the registry" until the weekly reconcile (Monday 02:30), so a demo user who
 * renames a facility in the registry sandbox sees nothing reach the systems. The sandboxes are
 * seeded before the mediator starts, so each system's list is complete here. Returns the banner
 * line: per system, how its facilities matched, or why the run did not go (the demo serves anyway).
 */
export async function reconcileDemoAtStart(scheduler: Pick<Scheduler, 'runNow'>): Promise<string> {
  let outcome: Awaited<ReturnType<Scheduler['runNow']>>;
  try {
    outcome = await scheduler.runNow('reconcile');
  } catch (err) {
    return notReconciled(err instanceof Error ? err.message : String(err));
  }
  const run = outcome?.run;
  if (!run || run.outcome !== 'ok' || !run.counts) {
    return notReconciled(run?.detail ?? outcome?.status ?? 'no reconcile job');
  }
  return `reconciled with the registry at start: ${zonesBySystem(run.counts)}`;
}

function notReconciled(why: string): string {
  return `not reconciled at start (${why}): registry changes are held until POST /admin/jobs/reconcile/run`;
}

/** `openlmis 32 auto, 0 review, 0 no-match; …` from the job's counts (`<system>.auto` …). */
function zonesBySystem(counts: Record<string, number>): string {
  const systems = Object.keys(counts)
    .filter((k) => k.endsWith('.auto'))
    .map((k) => k.slice(0, -'.auto'.length));
  return systems
    .map((s) => `${s} ${counts[`${s}.auto`]} auto, ${counts[`${s}.review`]} review, ${counts[`${s}.noMatch`]} no-match`)
    .join('; ');
}
