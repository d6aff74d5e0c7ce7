import { rtsToMsupplyJob } from '../bridges/rts-to-msupply.js';
import { stockToDhis2Job } from '../bridges/stock-to-dhis2-job.js';
import type { Settings } from '../config/settings.js';
import type { Outbox } from '../outbox/outbox.js';
import type { RegistryClient } from '../registry/mfr/types.js';
import type { Propagator } from '../registry/propagation/propagator.js';
import { isScheduleOff } from './cron.js';
import { propagateJob } from './propagate-job.js';
import { pruneJob, type PruneJobDeps } from './prune-job.js';
import { reconcileJob, type ReconcileJobDeps } from './reconcile-job.js';
import { Scheduler, type SchedulerLogger } from './scheduler.js';

export { Scheduler } from './scheduler.js';
export type { JobResult, JobView, ScheduledJob, TickOutcome, TickStatus } from './scheduler.js';

/**
 * What scheduled jobs may use: the store, the live settings, the configured connectors, and the
 * outbox every write to an upstream goes through (bridges and propagation never write directly).
 */
export interface MediatorJobDeps extends ReconcileJobDeps {
  outbox: Outbox;
  propagator: Propagator;
  registry: () => RegistryClient | undefined;
  /** The retention run's counts, for /metrics (PruneJobDeps.onPruned). */
  onPruned?: PruneJobDeps['onPruned'];
  logger?: SchedulerLogger;
}

/** Every job the mediator runs on a schedule. */
export function mediatorJobs(deps: MediatorJobDeps) {
  return [reconcileJob(deps), propagateJob(deps), rtsToMsupplyJob(deps), stockToDhis2Job(deps), pruneJob(deps)];
}

/** The mediator's scheduler: its jobs, their cron expressions read from the current settings. */
export function createScheduler(deps: MediatorJobDeps & { instance?: string }): Scheduler {
  return new Scheduler({
    store: deps.store,
    jobs: mediatorJobs(deps),
    expression: (setting) => scheduleOf(deps.settings(), setting),
    logger: deps.logger,
    instance: deps.instance,
  });
}

/** A job's cron expression, or undefined for a job turned off (cron.ts SCHEDULE_OFF). */
function scheduleOf(settings: Settings, setting: string): string | undefined {
  const value = settings[setting];
  return typeof value === 'string' && value.trim() !== '' && !isScheduleOff(value) ? value.trim() : undefined;
}
