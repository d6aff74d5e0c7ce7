import { UpstreamCallError } from '../../upstream/errors.js';

/**
 * A write Open mSupply refused because the same write landed meanwhile. Two attempts of one job
 * can overlap (an instance takes over a job whose lease lapsed while the stale attempt is still
 * writing: outbox/journal.ts); each looks before it writes, both may find nothing, and the later
 * insert is then refused as a duplicate ("Bad user input" RequisitionAlreadyExists /
 * RequisitionLineAlreadyExists, or RequisitionLineWithItemIdExists) and the later send or line
 * edit as CannotEditRequisition (server/graphql/requisition in msupply-foundation/open-msupply).
 * The ids derive from the order number, so what is there is this write: it is applied, and the
 * refusal is no answer to give the client.
 */

/** A refusal of the data (422: errors[] "Bad user input" or a typed error), not a failure or a permission. */
export function refusedWrite(err: unknown): boolean {
  return err instanceof UpstreamCallError && !err.transient && err.status === 422;
}

/**
 * `write`; refused, what `landed` reads back (the write applied by another attempt), or, when it
 * finds nothing, the refusal (as `refusal` words it). A failure that leaves the outcome unknown is
 * not looked up here: the step is retried, and looks before it writes.
 */
export async function writeOrLanded<T>(
  write: () => Promise<T>,
  landed: () => Promise<T | undefined>,
  refusal: (err: unknown) => unknown = (err) => err,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!refusedWrite(err)) throw err;
    const found = await landed();
    if (found === undefined) throw refusal(err);
    return found;
  }
}
