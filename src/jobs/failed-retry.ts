import type { JobRun } from '../store/types.js';
import { nextFire } from './cron.js';
import { wasCut } from './cut-run.js';

/**
 * How soon the parts a run left failed (the reconcile job's systems whose list was unreadable)
 * are tried again alone: `firstMs` after the run, then twice as long after each retry that failed
 * again, at most `capMs` apart, and never once the job's next tick is due (it does every part).
 */
export interface FailedRetryPolicy {
  firstMs: number;
  capMs: number;
}

/** An hour, then doubling up to eight hours: a weekly job's system down at 03:00 is not left a week. */
export const FAILED_RETRY: FailedRetryPolicy = { firstMs: 3_600_000, capMs: 8 * 3_600_000 };

/** How many of a job's latest runs are read to plan its retry (a chain of retries is this long at most). */
export const RETRY_RUNS_READ = 20;

/** A retry due: at `at`, of `parts`, unless a run of the job came after run `after` meanwhile. */
export interface RetryPlan {
  at: number;
  parts: string[];
  after: number;
  attempt: number;
}

/**
 * The retry a job's runs (newest first, as stored) owe, recomputed from them alone, so a restart
 * plans the same retry as the instance that ran them. Owed when the last run is a scheduled run
 * or a retry that ended failed with parts it could not do (`failedParts`); a retry a stop or a
 * kill cut counts as a try, and the parts are the last finished try's. A run by hand, a cut
 * scheduled run (cut-run.ts runs its whole tick again), or the next tick due first: none owed.
 */
export function retryOwed(
  runs: JobRun[],
  expression: string,
  failedParts: (run: JobRun) => string[],
  abandoned: string,
  policy: FailedRetryPolicy = FAILED_RETRY,
): RetryPlan | undefined {
  const [last] = runs;
  if (!last || last.outcome !== 'failed' || last.endedAt === undefined) return undefined;
  let attempt = 1;
  let i = 0;
  // the retries at the head of the list, each a try; cut ones have no finished account of their parts
  for (; runs[i]?.trigger === 'retry'; i++) attempt++;
  const origin = runs[i];
  if (!origin || origin.trigger !== 'schedule') return undefined;
  const source = runs.slice(0, i + 1).find((r) => !wasCut(r, abandoned) && r.outcome !== 'running');
  if (!source || source.outcome !== 'failed') return undefined;
  const parts = failedParts(source);
  if (parts.length === 0) return undefined;
  const at = last.endedAt + Math.min(policy.firstMs * 2 ** (attempt - 1), policy.capMs);
  const following = nextFire(expression, last.startedAt);
  if (following === undefined || following <= at) return undefined;
  return { at, parts, after: last.id, attempt };
}
