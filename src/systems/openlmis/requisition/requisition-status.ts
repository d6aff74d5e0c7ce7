import type { DeliveryStatus, OrderPriority, OrderStatus } from '../../../domain/index.js';

/**
 * Status and priority maps between OpenLMIS requisitions / fulfillment orders / proofs of delivery
 * and the domain (reference/openlmis.md §3.4). Kept as data so the read side (decode), the search
 * side (domain status → upstream statuses) and the write side (which step is already done) agree.
 */
export const REQUISITION_STATUSES = [
  'INITIATED',
  'REJECTED',
  'SUBMITTED',
  'AUTHORIZED',
  'IN_APPROVAL',
  'APPROVED',
  'RELEASED',
  'RELEASED_WITHOUT_ORDER',
  'SKIPPED',
] as const;
export type RequisitionStatus = (typeof REQUISITION_STATUSES)[number];

const REQUISITION_TO_ORDER: Record<RequisitionStatus, OrderStatus> = {
  INITIATED: 'draft',
  REJECTED: 'draft',
  SUBMITTED: 'active',
  AUTHORIZED: 'active',
  IN_APPROVAL: 'active',
  APPROVED: 'active',
  RELEASED: 'completed',
  RELEASED_WITHOUT_ORDER: 'completed',
  SKIPPED: 'cancelled',
};

/** An unknown upstream status (a newer OpenLMIS) reads as 'unknown' instead of failing the read. */
export function orderStatusOfRequisition(status: string | null | undefined): OrderStatus {
  return REQUISITION_TO_ORDER[status as RequisitionStatus] ?? 'unknown';
}

/** The requisition statuses a domain status search means (empty: none can match). */
export function requisitionStatusesFor(status: string): RequisitionStatus[] {
  return REQUISITION_STATUSES.filter((s) => REQUISITION_TO_ORDER[s] === status);
}

/** Editable by the creator and not yet submitted: the fill and submit steps still have work to do. */
export function awaitsSubmit(status: string): boolean {
  return status === 'INITIATED' || status === 'REJECTED';
}

/** Submit already happened (or the requisition moved past it): a resumed flow skips the submit step. */
export function isSubmittedOrBeyond(status: string): boolean {
  return REQUISITION_STATUSES.includes(status as RequisitionStatus) && !awaitsSubmit(status);
}

/** Authorize applies only to SUBMITTED; AUTHORIZED and later (or skipAuthorization programs) skip it. */
export function awaitsAuthorize(status: string): boolean {
  return status === 'SUBMITTED';
}

/** routine ↔ regular requisition; anything more pressing is an emergency requisition. */
export function isEmergency(priority: OrderPriority | undefined): boolean {
  return priority !== undefined && priority !== 'routine';
}

/** 'urgent' stands for every emergency priority: OpenLMIS keeps a boolean, so asap/stat read back as urgent. */
export function priorityOf(emergency: boolean | null | undefined): OrderPriority {
  return emergency ? 'urgent' : 'routine';
}

/** Fulfillment order statuses (requisition-less orders read as Orders). */
const FULFILLMENT_TO_ORDER: Record<string, OrderStatus> = {
  CREATING: 'draft',
  ORDERED: 'active',
  FULFILLING: 'active',
  SHIPPED: 'active',
  IN_ROUTE: 'active',
  READY_TO_PACK: 'active',
  TRANSFER_FAILED: 'active',
  RECEIVED: 'completed',
};

export function orderStatusOfFulfillmentOrder(status: string | null | undefined): OrderStatus {
  return FULFILLMENT_TO_ORDER[status ?? ''] ?? 'unknown';
}

/** A POD is in progress until it is confirmed; a shipment without a POD is also in progress. */
export function deliveryStatusOf(podStatus: string | null | undefined): DeliveryStatus {
  return podStatus === 'CONFIRMED' ? 'completed' : 'in-progress';
}

/** The POD statuses a domain delivery status search means. */
export function podStatusesFor(status: string): string[] {
  if (status === 'completed') return ['CONFIRMED'];
  if (status === 'in-progress') return ['INITIATED'];
  return [];
}
