import { ConflictError, MediatorError, isTransient, type Order } from '../../../domain/index.js';
import type { StepJournal, WriteResult } from '../../../routing/ports.js';
import type { LmisClient, OpenLmisDeps } from '../types.js';
import { LMIS, lmisMessageKey } from '../errors.js';
import * as api from '../api.js';
import type { RequisitionDto } from './requisition-dto.js';
import { heldRequisition, noRequisition, type HeldRequisition } from './requisition-change.js';
import { resolveOrder } from './requisition-resolve.js';
import { writtenRequisitionLess } from './requisition-submit.js';

/**
 * A cancelled order → its requisition withdrawn as OpenLMIS allows (issue 16).
 * DELETE /api/requisitions/{id} takes INITIATED, REJECTED, SUBMITTED or SKIPPED requisitions, and
 * of regular ones only the newest for the facility and program (openlmis-requisition
 * RequisitionService.delete: `requisition.error.delete.newerExists`). Where only that rule stands
 * in the way, a draft (INITIATED or REJECTED) in a program whose periods may be skipped is skipped
 * instead (PUT /api/requisitions/{id}/skip), which reads as cancelled too. An AUTHORIZED or later
 * requisition is in its supervisors' hands (only an approver may reject it): the cancellation is
 * refused, naming its status.
 */
const DELETABLE = ['INITIATED', 'REJECTED', 'SUBMITTED', 'SKIPPED'];
const SKIPPABLE = ['INITIATED', 'REJECTED'];

export function assertCancellable(requisition: RequisitionDto, order: Order): void {
  if (DELETABLE.includes(requisition.status)) return;
  throw new ConflictError(
    `order ${order.orderNumber.value} can no longer be cancelled: its requisition ${requisition.id} is ${requisition.status} in OpenLMIS, which deletes only ${DELETABLE.join(', ')} requisitions (from AUTHORIZED on, only an approver can reject it)`,
    409,
    ['SupplyRequest.status'],
  );
}

export async function cancelOrder(deps: OpenLmisDeps, order: Order, journal: StepJournal): Promise<WriteResult> {
  const outcome = await journal.run('cancel', async () => {
    const held = await heldRequisition(deps, order);
    if (!held) {
      await assertNotRequisitionLess(deps, order);
      // nothing left: a replay after the delete (or OpenLMIS deleted it itself)
      return { how: 'absent' as const };
    }
    if (held.requisition.status === 'SKIPPED') return { how: 'skipped' as const, id: held.requisition.id };
    assertCancellable(held.requisition, order);
    return { how: await withdraw(deps.client, held), id: held.requisition.id };
  });
  return {
    system: LMIS,
    ids: outcome.how === 'skipped' && outcome.id ? { requisition: outcome.id } : {},
    status: 'cancelled',
  };
}

export async function precheckCancellation(deps: OpenLmisDeps, order: Order): Promise<void> {
  const held = await heldRequisition(deps, order);
  if (held) assertCancellable(held.requisition, order);
  else await assertNotRequisitionLess(deps, order);
}

/**
 * No requisition carries the order: it was deleted (a replayed cancellation: done), or the order
 * went requisition-less, a fulfillment order OpenLMIS lets nobody withdraw once sent. Reporting
 * that one cancelled would tell the facility the warehouse will not ship what it will.
 */
async function assertNotRequisitionLess(deps: OpenLmisDeps, order: Order): Promise<void> {
  if (await writtenRequisitionLess(deps, order, await resolveOrder(deps, order))) throw noRequisition(order, 'cancel');
}

async function withdraw(client: LmisClient, held: HeldRequisition): Promise<'deleted' | 'skipped'> {
  const { requisition } = held;
  try {
    await api.deleteRequisition(client, requisition.id);
    return 'deleted';
  } catch (err) {
    if (!(err instanceof MediatorError) || isTransient(err)) throw err;
    const newerExists = lmisMessageKey(err) === 'requisition.error.delete.newerExists';
    if (!newerExists || !SKIPPABLE.includes(requisition.status) || !held.resolved.program.periodsSkippable) throw err;
  }
  // PUT /api/requisitions/{id}/skip: INITIATED or REJECTED → SKIPPED, where the program allows skipping
  await api.skipRequisition(client, requisition.id);
  return 'skipped';
}
