import type { Migration } from './migrations.js';

/**
 * When the attempt holding a job's lease is over by its holder's own timeout
 * (`outbox_jobs.attempt_ends_at`, epoch ms, server time on PostgreSQL): set with every lease
 * (a claim, a write delivered at once) as the lease's start + that outbox's attemptTimeoutMs.
 *
 * A peer that finds a holder's lock free on PostgreSQL (pg-lease-holders.ts) may end only leases
 * whose attempt is over, and judged that from lease_until with its OWN leaseMs and
 * attemptTimeoutMs. Instances with other settings (a rolling settings change) then disagreed: a
 * peer with leaseMs 300 s / attemptTimeoutMs 30 s took every lease ending within 270 s for over,
 * so it ended a holder's 120 s lease 1 s into its attempt, and the job was claimed and sent a
 * second time. The holder's own end is stored with its lease and the peer waits for it as well.
 *
 * Nothing is backfilled (ADD COLUMN without a default rewrites nothing, its lock held an instant):
 * a lease without one is judged as before. The column is not cleared when a lease ends: a lease
 * set by a release that does not know it (an older instance) keeps a stale end, and a peer also
 * requires its own bound (lease_until), so such a lease is judged no sooner than before either.
 */
function attemptEnds(epochMs: 'INTEGER' | 'BIGINT'): Migration {
  return {
    version: 61,
    name: "outbox_jobs: when the lease holder's attempt is over by its own timeout (attempt_ends_at)",
    sql: `ALTER TABLE outbox_jobs ADD COLUMN attempt_ends_at ${epochMs};`,
  };
}

export const SQLITE_ATTEMPT_ENDS = attemptEnds('INTEGER');
export const POSTGRES_ATTEMPT_ENDS = attemptEnds('BIGINT');
