import { sameIdentifier, type Identifier, type Order } from '../../../domain/index.js';
import { NS } from '../../../domain/namespace.js';
import type { ProductMap } from '../types.js';
import { LMIS_SYSTEM, orderLineId } from '../identifiers.js';
import { facilityRefOf } from './requisition-decode.js';
import { authoredOnExtra, authoredOnOf } from './order-authored.js';
import { orderStatusOfFulfillmentOrder, priorityOf } from './requisition-status.js';
import type { FulfillmentOrderDto } from '../proof-of-delivery/shipment-dto.js';

/**
 * Requisition-less orders (POST /api/orders/requisitionLess, quantities in PACKS).
 *
 * Routing rule (kept deliberately simple): an order goes requisition-less when OpenLMIS has no
 * processing period for its facility and program (periodsForInitiate answers an empty list: the
 * facility is in no requisition group for that program, e.g. a warehouse ordering from another
 * warehouse) and the order names no period. Such an order must name its supplier
 * (Order.supplier), because there is no supervisory node / supply line to find one.
 */
export const FULFILLMENT_ORDER_SYSTEM = `${NS}/identifier/openlmis-order`;

export interface RequisitionLessLine {
  orderable: { id: string; versionNumber: number };
  /** Packs. */
  orderedQuantity: number;
}

export interface RequisitionLessInput {
  facilityId: string;
  supplierId: string;
  programId: string;
  lines: RequisitionLessLine[];
  orderNumber: Identifier;
  /** When the client authored the order (kept in extraData: the server sets createdDate). */
  authoredOn?: string;
}

/**
 * OrderDto for the create call. The server assigns id, code, creator and cost and forces
 * emergency false / externalId null (reference §3.2); they are sent as null/neutral values so the
 * body still has every field the schema lists.
 */
export function buildRequisitionLessBody(input: RequisitionLessInput): Record<string, unknown> {
  return {
    id: null,
    externalId: null,
    emergency: false,
    createdBy: null,
    quotedCost: 0,
    facility: { id: input.facilityId },
    requestingFacility: { id: input.facilityId },
    receivingFacility: { id: input.facilityId },
    supplyingFacility: { id: input.supplierId },
    program: { id: input.programId },
    orderLineItems: input.lines.map((l) => ({
      id: null,
      orderable: { id: l.orderable.id, versionNumber: l.orderable.versionNumber },
      orderedQuantity: l.orderedQuantity,
    })),
    // kept by servers that store order extraData; lets a read give the client's order number back
    extraData: {
      fhirOrderNumber: { system: input.orderNumber.system, value: input.orderNumber.value },
      ...authoredOnExtra(input),
    },
  };
}

export function orderNumberOfOrder(dto: FulfillmentOrderDto): Identifier {
  const stored = dto.extraData?.fhirOrderNumber as { system?: unknown; value?: unknown } | undefined;
  if (stored && typeof stored.system === 'string' && typeof stored.value === 'string')
    return { system: stored.system, value: stored.value };
  return { system: FULFILLMENT_ORDER_SYSTEM, value: dto.id };
}

/** A requisition-less fulfillment order read back as an Order (lines in packs). */
export function decodeRequisitionLessOrder(dto: FulfillmentOrderDto, products: Pick<ProductMap, 'toProduct'>): Order {
  const orderNumber = orderNumberOfOrder(dto);
  return {
    id: dto.id,
    orderNumber,
    status: orderStatusOfFulfillmentOrder(dto.status),
    priority: priorityOf(dto.emergency),
    facility: facilityRefOf(dto.receivingFacility ?? dto.requestingFacility) ?? {},
    supplier: facilityRefOf(dto.supplyingFacility),
    program: dto.program?.code ?? undefined,
    authoredOn: authoredOnOf(dto),
    lines: (dto.orderLineItems ?? []).map((l) => {
      const product = products.toProduct(
        l.orderable.productCode ?? l.orderable.id,
        l.orderable.fullProductName ?? undefined,
      );
      return {
        lineId: orderLineId(orderNumber, product),
        product,
        quantity: { value: l.orderedQuantity ?? 0, unit: 'pack' as const },
      };
    }),
    source: { system: LMIS_SYSTEM, id: dto.id },
    lastUpdated: dto.lastUpdatedDate ?? undefined,
  };
}

/** Same lines, same pack quantities. */
export function sameOrderLines(dto: FulfillmentOrderDto, lines: RequisitionLessLine[]): boolean {
  const mine = new Map(lines.map((l) => [l.orderable.id, l.orderedQuantity]));
  const theirs = dto.orderLineItems ?? [];
  return theirs.length === mine.size && theirs.every((l) => mine.get(l.orderable.id) === l.orderedQuantity);
}

/**
 * Whether a draft on the server is the one this order created: it carries our order number, or
 * (on a server that does not keep order extraData) no order number, exactly our lines, and a
 * creation time no earlier than our first attempt. A draft holding another client's order number
 * is never ours, however alike its lines.
 */
export function isOwnDraft(
  dto: FulfillmentOrderDto,
  orderNumber: Identifier,
  lines: RequisitionLessLine[],
  notBefore: number,
): boolean {
  const stored = orderNumberOfOrder(dto);
  if (stored.system !== FULFILLMENT_ORDER_SYSTEM) return sameIdentifier(stored, orderNumber);
  const created = dto.createdDate ? Date.parse(dto.createdDate) : Number.NaN;
  return sameOrderLines(dto, lines) && created >= notBefore;
}
