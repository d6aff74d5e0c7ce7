import { UpstreamError } from '../../domain/errors.js';

/** How long a change whose link was taken back waits before it looks again (a decision nudges it sooner). */
export const LINK_TAKEN_BACK_WAIT_MS = 60_000;

/**
 * A change planned as an update of the record a crosswalk row linked, delivered after a person
 * took that link back (a review reject or break): written, it would put the registry facility into
 * a record a person just said is another one. Planned again, it waits for a person (held, the row
 * says why) rather than end: its job is the only one its version gets, so ended it could never be
 * written once the person decided. It waits uncharged (`retryAt`, outbox/failures.ts); a decision
 * that plans it queued makes it due at once (Propagator.record).
 */
export class LinkTakenBack extends UpstreamError {
  readonly retryAt: number;
  constructor(system: string, registryId: string, recordId: string, reason: string, now: number) {
    super({
      system,
      transient: true,
      upstreamStatus: 409,
      code: 'lock-error',
      diagnostics: `${system} record ${recordId} is no longer linked to registry facility ${registryId}; the change waits: ${reason}`,
    });
    this.retryAt = now + LINK_TAKEN_BACK_WAIT_MS;
  }
}
