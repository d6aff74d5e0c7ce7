import { ConflictError } from '../../domain/errors.js';

/**
 * A change planned as an update of the record a crosswalk row linked, delivered after a person
 * took that link back (a review reject or break): written, it would put the registry facility into
 * a record a person just said is another one. Planned again, it is held (the propagation row says
 * why, as any held change) and its job ends, refused: a job that waited would only look again and
 * again for a decision that may be days away. A refused job does not keep its key, so the decision
 * (or the run) that plans the change queued again makes a new job of the same key
 * (Propagator.record), as it does for any held change.
 */
/** The error's name, as the refused job keeps it (send-now.ts tells a hold from a refusal by it). */
export const LINK_TAKEN_BACK = 'LinkTakenBack';

export class LinkTakenBack extends ConflictError {
  /** `recordId`: the record the change was planned for; none when the job is retried while held. */
  constructor(system: string, registryId: string, reason: string, recordId?: string) {
    const what = recordId
      ? `${system} record ${recordId} is no longer linked to registry facility ${registryId}`
      : `the change of registry facility ${registryId} in ${system} waits for a person`;
    super(`${what}; the change is held until a person decides: ${reason}`);
    this.name = LINK_TAKEN_BACK;
  }
}
