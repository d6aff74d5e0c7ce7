import { ConflictError, type Order } from '../../../domain/index.js';
import type { OpenLmisDeps } from '../types.js';
import type { RequisitionDto } from './requisition-dto.js';
import { findByOrderNumber, readRequisition } from './requisition-lookup.js';
import { resolveOrder, type ResolvedOrder } from './requisition-resolve.js';

/**
 * What an amendment or a cancellation of an order starts from: the requisition that carries the
 * order number (the fill step wrote it in extraData), read in full, and the revision of the order
 * it already holds (extraData.fhirOrderRevision; absent: the order as first written).
 */
export interface HeldRequisition {
  requisition: RequisitionDto;
  resolved: ResolvedOrder;
  revision: number;
}

/** The requisition of this order, or undefined when OpenLMIS holds none (deleted, or never a requisition). */
export async function heldRequisition(deps: OpenLmisDeps, order: Order): Promise<HeldRequisition | undefined> {
  const resolved = await resolveOrder(deps, order);
  const found = await findByOrderNumber(
    deps.client,
    { facility: resolved.facilityId, program: resolved.program.id, emergency: resolved.emergency },
    order.orderNumber,
  );
  const requisition = found && (await readRequisition(deps.client, found.id));
  if (!requisition) return undefined;
  return { requisition, resolved, revision: revisionHeld(requisition) };
}

export function revisionHeld(requisition: Pick<RequisitionDto, 'extraData'>): number {
  const held = requisition.extraData?.fhirOrderRevision;
  return typeof held === 'number' && Number.isInteger(held) ? held : 0;
}

/** The order has no requisition in OpenLMIS to change: a requisition-less order, or one deleted there. */
export function noRequisition(order: Order, change: string): ConflictError {
  return new ConflictError(
    `order ${order.orderNumber.value} has no requisition in OpenLMIS to ${change}: it was deleted there, or it is a requisition-less order, which OpenLMIS fulfillment does not let change once sent`,
    409,
    ['SupplyRequest'],
  );
}
