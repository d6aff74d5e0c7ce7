import type { JobRun, Store } from '../store/types.js';
import { nextFire } from './cron.js';

/** How a run a stop recorded begins (scheduler.ts interruptedDetail). */
const INTERRUPTED = 'interrupted: the mediator was stopped';

/** A run a stop (SIGTERM, SIGINT) or a SIGKILL ended part way, as recorded (abandoned: `abandoned`). */
export function wasCut(run: JobRun, abandoned: string): boolean {
  return run.outcome === 'failed' && (run.detail === abandoned || !!run.detail?.startsWith(INTERRUPTED));
}

/**
 * The cut run a job owes again: its last run, when a stop or a kill cut it (a deploy's restart at
 * 03:00) and the job's next tick has not come; it is owed as a tick the database was away for is.
 * Left alone, a monthly bridge would wait a month for the facilities the cut run never reached
 * (past DHIS2's entry deadline by then). A tick whose following one has come is not: that run
 * goes on from what the cut one stored, as every run does.
 */
export async function cutRunOwed(
  store: Store,
  name: string,
  expression: string,
  abandoned: string,
  now: number,
): Promise<(JobRun & { tickAt: number }) | undefined> {
  const [last] = await store.listJobRuns(name, 1);
  if (!last || last.trigger !== 'schedule' || last.tickAt === undefined || !wasCut(last, abandoned)) return undefined;
  const following = nextFire(expression, last.tickAt);
  if (following === undefined || following <= now) return undefined;
  return { ...last, tickAt: last.tickAt };
}

/** The cut run gives its tick back (it stays listed, without it): the store records the tick's run once more. */
export async function giveTickBack(store: Store, run: JobRun): Promise<void> {
  const { endedAt, outcome, detail, counts } = run;
  await store.finishJobRun(run.id, { endedAt, outcome, detail, counts, givesBackTick: true });
}
