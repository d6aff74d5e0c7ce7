import { sameIdentifier, type Identifier } from '../../../domain/index.js';
import type { LmisClient } from '../types.js';
import type { RequisitionDto } from './requisition-dto.js';
import { orderNumberOf } from './requisition-decode.js';
import * as api from '../api.js';

/**
 * Finding requisitions again: the order flow looks before it writes (a retry after a crash or a
 * lost answer must find what the first attempt created instead of creating a second one).
 */
export interface RequisitionQuery {
  facility?: string;
  program?: string;
  processingPeriod?: string;
  emergency?: boolean;
  requisitionStatus?: string[];
  initiatedDateFrom?: string;
  initiatedDateTo?: string;
}

/** GET /api/requisitions/search, every page (BasicRequisitionDto: no line items). */
export function searchRequisitions(client: LmisClient, q: RequisitionQuery): Promise<RequisitionDto[]> {
  return api.searchRequisitions(client, {
    facility: q.facility,
    program: q.program,
    processingPeriod: q.processingPeriod,
    emergency: q.emergency,
    requisitionStatus: q.requisitionStatus?.length ? q.requisitionStatus : undefined,
    initiatedDateFrom: q.initiatedDateFrom,
    initiatedDateTo: q.initiatedDateTo,
  });
}

export function carriesOrderNumber(dto: Pick<RequisitionDto, 'id' | 'extraData'>, orderNumber: Identifier): boolean {
  return sameIdentifier(orderNumberOf(dto), orderNumber);
}

/** The requisition that already carries this order number (the fill step wrote it), if any. */
export async function findByOrderNumber(
  client: LmisClient,
  q: RequisitionQuery,
  orderNumber: Identifier,
): Promise<RequisitionDto | undefined> {
  return (await searchRequisitions(client, q)).find((r) => carriesOrderNumber(r, orderNumber));
}

/** v1 requisition (orderables embedded), or undefined when it does not exist. */
export async function readRequisition(client: LmisClient, id: string): Promise<RequisitionDto | undefined> {
  return api.getRequisition(client, id);
}
