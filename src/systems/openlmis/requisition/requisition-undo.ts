import { MediatorError, isTransient, sameIdentifier, type Identifier, type Issue } from '../../../domain/index.js';
import type { LmisClient } from '../types.js';
import { orderNumberOf } from './requisition-decode.js';
import { readRequisition } from './requisition-lookup.js';
import { initiatorOf } from './requisition-ownership.js';
import * as api from '../api.js';

/**
 * Undoing a half-done order (issue 9 item 4): when a step after the initiate fails for good (the
 * fill PUT refused, 413 on a huge body, lines OpenLMIS would not take, submit refused), the
 * requisition we initiated is deleted again, which OpenLMIS allows while it is INITIATED
 * (DELETE /api/requisitions/{id}; openlmis-requisition RequisitionController.deleteRequisition,
 * needs REQUISITION_DELETE). The refusal is journaled as the step's result before the delete, so
 * a crash mid-undo resumes into the delete, never into a new attempt at the step.
 */

/** A step that failed for good, kept in the journal (JSON) instead of throwing. */
export interface Refused {
  refused: { status: number; issues: Issue[] };
}

export function isRefused(v: unknown): v is Refused {
  return !!v && typeof v === 'object' && 'refused' in v;
}

/** A permanent refusal to journal; anything else (transient, or a bug) is rethrown as it is. */
export function refusalOf(err: unknown): Refused {
  if (err instanceof MediatorError && !isTransient(err))
    return { refused: { status: err.status, issues: err.issues.map((i) => ({ ...i })) } };
  throw err;
}

export type UndoOutcome = 'deleted' | 'absent' | `kept: ${string}`;

/**
 * Delete the requisition if it is still a draft we made for this order: INITIATED, initiated by
 * our user, holding no order number or ours. Anything else is left as it is, and said so.
 */
export async function undoInitiate(client: LmisClient, id: string, orderNumber: Identifier): Promise<UndoOutcome> {
  const r = await readRequisition(client, id);
  if (!r) return 'absent';
  if (r.status !== 'INITIATED') return `kept: it is ${r.status}, which cannot be undone`;
  const me = await client.userId?.();
  if (!me || initiatorOf(r) !== me) return 'kept: it was not initiated by the integration user';
  const number = orderNumberOf(r);
  if (r.extraData?.fhirOrderNumber && !sameIdentifier(number, orderNumber)) return 'kept: it holds another order';
  try {
    await api.deleteRequisition(client, id);
  } catch (err) {
    // transient (or not an answer at all): the outbox retries the undo; only a refusal is final
    if (!(err instanceof MediatorError) || isTransient(err)) throw err;
    return `kept: OpenLMIS refused the delete (${(err as Error).message})`;
  }
  return 'deleted';
}

/**
 * A requisition-less draft order (CREATING) we created and could not send: DELETE /api/orders
 * {ids} removes drafts only (openlmis-fulfillment OrderController). A sent order is left.
 */
export async function undoDraftOrder(client: LmisClient, id: string): Promise<UndoOutcome> {
  const current = await api.probeOrder(client, id);
  if (!current) return 'absent';
  if (current.status !== 'CREATING') return `kept: it is ${current.status}, which cannot be undone`;
  try {
    await api.deleteDraftOrders(client, [id]);
  } catch (err) {
    if (!(err instanceof MediatorError) || isTransient(err)) throw err;
    return `kept: OpenLMIS refused the delete (${(err as Error).message})`;
  }
  return 'deleted';
}

/** The step's refusal as the client hears it, saying what became of what the first step created. */
export function refusalError(r: Refused, created: string, undo: UndoOutcome): MediatorError {
  const what =
    undo === 'deleted' || undo === 'absent'
      ? `${created} was deleted again: nothing of this order is left in OpenLMIS`
      : `${created} could not be deleted (${undo.slice(6)}) and stays in OpenLMIS`;
  const [first, ...rest] = r.refused.issues;
  return new MediatorError(r.refused.status, [{ ...first, diagnostics: `${first.diagnostics}; ${what}` }, ...rest]);
}
