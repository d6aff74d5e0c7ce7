import type { JobRun, Store } from '../store/types.js';
import { wasCut } from './cut-run.js';

/**
 * Whether a running instance should look again at a job's cut run (Scheduler's watch): its last
 * run is a scheduled one another instance left running (killed, maybe: closed under the lock
 * first) or that a stop or a kill cut. In a rolling deploy the new instance starts, looks for cut
 * runs and finds none, and only then is the old one stopped mid-run: no start follows to owe the
 * tick. Its last run, if so. A cheap read, so the watch takes no lock while nothing was cut;
 * cut-run.ts decides whether the tick is owed.
 */
export async function cutElsewhere(
  store: Store,
  name: string,
  instance: string,
  abandoned: string,
): Promise<JobRun | undefined> {
  const [last] = await store.listJobRuns(name, 1);
  if (!last || last.trigger !== 'schedule' || last.tickAt === undefined) return undefined;
  if (last.outcome === 'running') return last.instance !== instance ? last : undefined;
  return wasCut(last, abandoned) ? last : undefined;
}
