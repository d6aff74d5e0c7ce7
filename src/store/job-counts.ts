import type { JobStatus } from './types.js';

/** How many jobs of a system are in a status (Store.countJobsBySystem). */
export interface JobCountBySystem {
  system: string;
  status: JobStatus;
  count: number;
}

/**
 * Jobs per system and status, for the console's table: one pass over the outbox_jobs_due index
 * (system, status, …), whatever the queue's size, instead of listing jobs to count them.
 */
export const COUNT_BY_SYSTEM_SQL = 'SELECT system, status, COUNT(*) AS n FROM outbox_jobs GROUP BY system, status';
