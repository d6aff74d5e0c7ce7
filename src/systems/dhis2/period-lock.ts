import { UpstreamError } from '../../domain/errors.js';
import { LockWaitTimeout } from '../../store/keyed-mutex.js';
import type { Store } from '../../store/types.js';
import { DHIS2 } from './errors.js';

/** Runs `task` holding the lock of one org unit and period, shared by every mediator instance on the store. */
export type PeriodLock = <T>(orgUnitAndPeriod: string, task: () => Promise<T>) => Promise<T>;

/**
 * How long a difference report waits for another one of the same org unit and period (its read,
 * dry run, import and any async import job) before it is retried later.
 */
const PERIOD_LOCK_WAIT_MS = 60_000;

/**
 * The store's lock (a PostgreSQL advisory lock; on SQLite one process owns the file) around a
 * difference report's read-add-write of a period's totals. The in-process turn (stock.ts, inTurn)
 * does not reach another instance, and the outbox's order key is the facility as the client named
 * it: two instances writing one org unit and period under two names would both read the same
 * total, and the later write would drop the other's change.
 */
export function storePeriodLock(store: Pick<Store, 'withLock'>): PeriodLock {
  return (orgUnitAndPeriod, task) =>
    store
      .withLock(`dhis2-period-totals:${orgUnitAndPeriod}`, task, { waitMs: PERIOD_LOCK_WAIT_MS })
      .catch((err: unknown) => {
        if (!(err instanceof LockWaitTimeout)) throw err;
        throw new UpstreamError({
          system: DHIS2,
          transient: true,
          upstreamStatus: 503,
          code: 'lock-error',
          diagnostics: `another difference report of ${orgUnitAndPeriod} is being added to DHIS2's totals (${err.message}); retried later`,
        });
      });
}
