import type { Order } from '../../../domain/index.js';

/**
 * When the client authored the order (SupplyRequest.authoredOn), kept in the requisition's (or
 * requisition-less order's) extraData beside the order number. OpenLMIS sets createdDate itself
 * when the requisition is initiated (openlmis-requisition Requisition.initiate; the fulfillment
 * service does the same for orders), which is when the mediator delivered the order, not when a
 * nurse wrote it on a phone that was offline for a day; extraData is the free map OpenLMIS keeps
 * as sent (openlmis-requisition RequisitionDto.extraData, a jsonb column).
 */
export const AUTHORED_ON_KEY = 'fhirAuthoredOn';

/** The extraData entry that records the client's authoredOn (none when the client sent none). */
export function authoredOnExtra(order: Pick<Order, 'authoredOn'>): Record<string, string> {
  return order.authoredOn ? { [AUTHORED_ON_KEY]: order.authoredOn } : {};
}

/** The order's authoredOn: the client's, as kept in extraData, else OpenLMIS's creation time. */
export function authoredOnOf(dto: {
  createdDate?: string | null;
  extraData?: Record<string, unknown> | null;
}): string | undefined {
  const kept = dto.extraData?.[AUTHORED_ON_KEY];
  return typeof kept === 'string' && kept ? kept : (dto.createdDate ?? undefined);
}
