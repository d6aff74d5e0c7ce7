import type { Settings } from '../config/settings.js';
import { emptyPruneCounts, type EntriesCursor, type PruneCounts, type PruneCursor } from '../store/retention.js';
import type { Store } from '../store/types.js';
import type { JobResult, ScheduledJob, SchedulerLogger } from './scheduler.js';

export interface PruneJobDeps {
  store: Store;
  settings: () => Settings;
  logger?: SchedulerLogger;
  /** Told each run's counts (the outbox's /metrics counter). */
  onPruned?: (counts: Omit<PruneCounts, 'examined'>) => void;
}

/**
 * Jobs examined per batch, one store transaction each: a batch holds SQLite's write lock (and
 * blocks its event loop) or one PostgreSQL transaction for a few milliseconds, not for the
 * whole backlog.
 */
export const PRUNE_BATCH = 200;
const DAY_MS = 86_400_000;
export const KEEP_FOREVER = 'outbox.retentionDays is 0: finished work is kept forever';

/** Lets the writes queued meanwhile (a client's, the worker's) run between two batches. */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One prune run: the finished jobs older than outbox.retentionDays, oldest first, batch after
 * batch through the v27 index until it is read to the cutoff (Store.pruneFinished says what stays).
 * Counts what went, by table; one info line per run.
 */
export async function pruneFinished(
  deps: PruneJobDeps,
  now = Date.now(),
  signal: AbortSignal = new AbortController().signal,
): Promise<JobResult> {
  const days = Number(deps.settings()['outbox.retentionDays'] ?? 0);
  if (!(days > 0)) return { skipped: KEEP_FOREVER };
  const before = now - days * DAY_MS;
  const totals = emptyPruneCounts();
  let batches = 0;
  let after: PruneCursor | undefined;
  let entriesAfter: EntriesCursor | undefined;
  for (;;) {
    signal.throwIfAborted(); // the job's lock lost to another instance, which prunes on
    const r = await deps.store.pruneFinished({
      before,
      now,
      limit: PRUNE_BATCH,
      ...(after ? { after } : {}),
      ...(entriesAfter ? { entriesAfter } : {}),
    });
    batches++;
    for (const k of Object.keys(totals) as (keyof PruneCounts)[]) totals[k] += r[k];
    // job runs come PRUNE_BATCH at a time too, and entry map rows: a full batch may leave more
    if (r.examined < PRUNE_BATCH && r.jobRuns < PRUNE_BATCH && r.entriesExamined < PRUNE_BATCH) break;
    after = r.last ?? after;
    entriesAfter = r.entriesLast ?? entriesAfter;
    await yieldTurn();
  }
  const { examined, ...pruned } = totals;
  deps.onPruned?.(pruned);
  deps.logger?.info?.({ retentionDays: days, before, batches, examined, ...pruned }, 'outbox prune');
  return { counts: { batches, examined, ...pruned } };
}

export function pruneJob(deps: PruneJobDeps): ScheduledJob {
  return {
    name: 'outboxPrune',
    setting: 'schedules.outboxPrune',
    description: 'Delete finished outbox jobs older than outbox.retentionDays, with their rows',
    run: (signal) => pruneFinished(deps, Date.now(), signal),
  };
}
