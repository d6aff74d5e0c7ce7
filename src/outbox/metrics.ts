import { Counter, Gauge, type Registry } from 'prom-client';
import { markStoreDerived } from '../platform/metrics-exposition.js';
import { JOB_STATUSES, type Store } from '../store/types.js';

/**
 * internal: a bug of ours failed the attempt (the job is dead-lettered at once); store: our
 * database failed it (retried, the attempt not charged).
 */
export type AttemptResult = 'done' | 'retry' | 'rejected' | 'dead' | 'deferred' | 'internal' | 'store';

/** Counters the delivery code feeds; depth and age are read from the store at scrape time. */
export interface OutboxMetrics {
  attempt(system: string, result: AttemptResult): void;
  deadLetter(system: string): void;
  /** Rows the retention run (src/jobs/prune-job.ts) deleted, by table. */
  pruned?(counts: Record<string, number>): void;
}

export const NO_METRICS: OutboxMetrics = { attempt: () => undefined, deadLetter: () => undefined };

/**
 * Registers the outbox metrics on `registry`. The gauges query the store when scraped, so with
 * several instances on PostgreSQL each one reports the shared depth; the counters are per process.
 */
export function registerOutboxMetrics(registry: Registry, store: Store, prefix = 'mediator_'): OutboxMetrics {
  new Gauge({
    name: `${prefix}outbox_jobs`,
    help: 'Outbox jobs by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await store.countJobsByStatus();
      for (const status of JOB_STATUSES) this.set({ status }, counts[status]);
    },
  });
  new Gauge({
    name: `${prefix}outbox_oldest_waiting_age_seconds`,
    help: 'Age of the oldest outbox job not yet delivered (pending or in flight); 0 when none',
    registers: [registry],
    async collect() {
      const oldest = await store.oldestWaitingCreatedAt();
      this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
  markStoreDerived(registry, `${prefix}outbox_jobs`, `${prefix}outbox_oldest_waiting_age_seconds`);
  const attempts = new Counter({
    name: `${prefix}outbox_attempts_total`,
    help: 'Delivery attempts by system and result (deferred = not started, breaker open or no slot; internal = a bug of ours, dead-lettered at once; store = our database failed, retried uncharged)',
    labelNames: ['system', 'result'],
    registers: [registry],
  });
  const dead = new Counter({
    name: `${prefix}outbox_dead_letters_total`,
    help: 'Jobs moved to the dead-letter state after their last attempt',
    labelNames: ['system'],
    registers: [registry],
  });
  const pruned = new Counter({
    name: `${prefix}outbox_pruned_total`,
    help: 'Rows the retention run deleted (outbox.retentionDays), by table: jobs, attempts, steps, keys, reruns, entries, jobRuns',
    labelNames: ['table'],
    registers: [registry],
  });
  return {
    attempt: (system, result) => attempts.inc({ system, result }),
    deadLetter: (system) => dead.inc({ system }),
    pruned: (counts) => {
      for (const [table, n] of Object.entries(counts)) pruned.inc({ table }, n);
    },
  };
}
