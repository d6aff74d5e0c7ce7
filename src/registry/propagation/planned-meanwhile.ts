import { UpstreamError } from '../../domain/errors.js';
import type { Propagation } from '../../store/types.js';

/**
 * A delivery found its change's link taken back and planned the change again, but the row was
 * written meanwhile (a person's decision planned it, another instance): its plan is not written
 * over that one; the delivery reads the row again and goes on from it (Propagator.deliver).
 */
export class PlannedMeanwhile extends Error {
  constructor(readonly row: Propagation) {
    super(`propagation of registry facility ${row.registryId} to ${row.system} was planned again meanwhile`);
    this.name = 'PlannedMeanwhile';
  }

  /**
   * Planned again each time it was read (REPLANS times in a row): the job is tried again later,
   * as after any wait, the system itself up (no circuit breaker counts it).
   */
  retryLater(system: string): UpstreamError {
    return new UpstreamError({
      system,
      transient: true,
      systemUp: true,
      upstreamStatus: 409,
      code: 'conflict',
      diagnostics: `${this.message} each time it was read; retried later`,
    });
  }
}
