import type { JobRun, Store } from '../store/types.js';
import { nextFire } from './cron.js';

/** How a run a stop recorded begins (scheduler.ts interruptedDetail). */
const INTERRUPTED = 'interrupted: the mediator was stopped';

/** How many of a job's latest runs are read to see whether its cut tick was run again already. */
const RUNS_READ = 20;

/** How many times a tick that stops cut is run again (one a kill cut: once): no start-up loop. */
const MOST_RUNS_AGAIN = 3;

/** A run a stop (SIGTERM, SIGINT) or a SIGKILL ended part way, as recorded (abandoned: `abandoned`). */
export function wasCut(run: JobRun, abandoned: string): boolean {
  return run.outcome === 'failed' && (run.detail === abandoned || !!run.detail?.startsWith(INTERRUPTED));
}

/**
 * What start-up does about a job's last run: `owed`, its tick is run again; `cutAgain`, its tick
 * was run again as often as it may be and was cut again, so it is left to the next tick.
 */
export type CutRun = { owed: JobRun & { tickAt: number } } | { cutAgain: JobRun & { tickAt: number } };

/**
 * The cut run a job owes again: its last run, when a stop or a kill cut it (a deploy's restart at
 * 03:00) and the job's next tick has not come; it is owed as a tick the database was away for is.
 * Left alone, a monthly bridge would wait a month for the facilities the cut run never reached
 * (past DHIS2's entry deadline by then). A tick whose following one has come is not: that run
 * goes on from what the cut one stored, as every run does. Nor a tick run again once already
 * and killed again (no stop recorded its end): a run that kills the process each time (out of
 * memory on a national dataset) would otherwise kill every start until the next tick, the whole
 * mediator down for a month. A run again that a stop cut (a second deploy) is run again, up to
 * MOST_RUNS_AGAIN times (a health check failing under the run would restart it for ever too).
 */
export async function cutRunOwed(
  store: Store,
  name: string,
  expression: string,
  abandoned: string,
  now: number,
): Promise<CutRun | undefined> {
  const [last, ...earlier] = await store.listJobRuns(name, RUNS_READ);
  if (!last || last.trigger !== 'schedule' || last.tickAt === undefined || !wasCut(last, abandoned)) return undefined;
  const following = nextFire(expression, last.tickAt);
  if (following === undefined || following <= now) return undefined;
  const run = { ...last, tickAt: last.tickAt };
  const runsAgain = earlier.filter((r) => ranThisTickBefore(r, run.tickAt, abandoned)).length;
  // a stop (a deploy) is the operator's, recorded by a process that was well: run it again, up to a limit
  const enough = last.detail === abandoned ? runsAgain >= 1 : runsAgain >= MOST_RUNS_AGAIN;
  return enough ? { cutAgain: run } : { owed: run };
}

/**
 * Whether a run of the job started after the cut one and did its work (a `jobs run` by hand while
 * the owed tick waited for the job's lock): it went on from what the cut run stored, as the owed
 * tick's run would, so running the tick too would be a second full run of it. A later run that
 * failed or was cut does not: the tick is still owed. Nor one that skipped: a shell's settings
 * are not the server's (run without its CONFIG_FILE, no DHIS2 connector there), so its skip did
 * none of the tick's work; the server's own run would skip too if that were the server's case.
 */
export async function ranSinceCut(store: Store, name: string, cutId: number): Promise<boolean> {
  const runs = await store.listJobRuns(name, RUNS_READ);
  // ids grow with each run on both engines: no reliance on two runs' start times
  return runs.some((r) => r.id > cutId && r.outcome === 'ok');
}

/**
 * An earlier run that was this tick's, cut and given back for the tick to be run again: only a
 * given-back run has no tick, and a cut one (not the database away) gives it back only as its
 * tick's run again starts (Store.startJobRun's takesTickOf). It started at or after the tick (an
 * earlier tick's run had ended by then: that tick was busy).
 */
function ranThisTickBefore(run: JobRun, tickAt: number, abandoned: string): boolean {
  return run.trigger === 'schedule' && run.tickAt === undefined && run.startedAt >= tickAt && wasCut(run, abandoned);
}
