import type { FacilityRef, Identifier, Order, OrderLine } from '../../../domain/index.js';
import type { ProductMap } from '../types.js';
import { FACILITY_CODE_SYSTEM, LMIS_SYSTEM, REQUISITION_SYSTEM, orderLineId } from '../identifiers.js';
import type { RefDto, RequisitionDto, RequisitionLineDto } from './requisition-dto.js';
import { orderStatusOfRequisition, priorityOf } from './requisition-status.js';
import { authoredOnOf } from './order-authored.js';

/**
 * Requisition (v1 RequisitionDto, orderables embedded) → domain Order. Pure: product codes come
 * from the embedded orderables, FHIR product codes from the ProductMap. Only lines with a
 * requested quantity are order lines: the template's other lines are not what anyone ordered.
 */

/** The order number the client gave (extraData.fhirOrderNumber), else the requisition id. */
export function orderNumberOf(dto: Pick<RequisitionDto, 'id' | 'extraData'>): Identifier {
  const stored = dto.extraData?.fhirOrderNumber;
  if (stored && typeof stored.system === 'string' && typeof stored.value === 'string' && stored.value) {
    return { system: stored.system, value: stored.value };
  }
  return { system: REQUISITION_SYSTEM, value: dto.id };
}

/** Facility as the domain points at it: its UUID is our Location id, its code the business identifier. */
export function facilityRefOf(f: RefDto | string | null | undefined): FacilityRef | undefined {
  if (!f) return undefined;
  if (typeof f === 'string') return { id: f };
  return {
    id: f.id,
    identifier: f.code ? { system: FACILITY_CODE_SYSTEM, value: f.code } : undefined,
    display: f.name ?? undefined,
  };
}

function isOrdered(line: RequisitionLineDto): boolean {
  return !line.skipped && typeof line.requestedQuantity === 'number';
}

/**
 * What a v2 requisition (references `{id, href}` instead of embedded objects) needs looked up to
 * decode without losing what the FHIR side carries: product codes, the program code, period dates.
 */
export interface RequisitionRefLookups {
  orderable?(id: string, versionNumber?: number): { productCode: string; fullProductName?: string } | undefined;
  programCode?(id: string): string | undefined;
  period?(id: string): { startDate?: string; endDate?: string } | undefined;
}

function versionOf(o: RequisitionLineDto['orderable']): number | undefined {
  const v = o.versionNumber ?? o.meta?.versionNumber;
  return v === undefined || v === null ? undefined : Number(v);
}

function decodeLine(
  line: RequisitionLineDto,
  orderNumber: Identifier,
  products: Pick<ProductMap, 'toProduct'>,
  lookups: RequisitionRefLookups,
): OrderLine {
  const found = line.orderable.productCode
    ? undefined
    : lookups.orderable?.(line.orderable.id, versionOf(line.orderable));
  const productCode = line.orderable.productCode ?? found?.productCode ?? line.orderable.id;
  const product = products.toProduct(productCode, line.orderable.fullProductName ?? found?.fullProductName);
  return {
    lineId: orderLineId(orderNumber, product),
    product,
    quantity: { value: line.requestedQuantity as number, unit: 'dispensing-unit' },
    explanation: line.requestedQuantityExplanation ?? undefined,
  };
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function decodeRequisition(
  dto: RequisitionDto,
  products: Pick<ProductMap, 'toProduct'>,
  lookups: RequisitionRefLookups = {},
): Order {
  const orderNumber = orderNumberOf(dto);
  const ref = dto.processingPeriod;
  const period = ref && !ref.startDate ? { ...ref, ...lookups.period?.(ref.id) } : ref;
  return dropUndefined<Order>({
    id: dto.id,
    orderNumber,
    status: orderStatusOfRequisition(dto.status),
    priority: priorityOf(dto.emergency),
    facility: facilityRefOf(dto.facility) ?? {},
    supplier: facilityRefOf(dto.supplyingFacility),
    program: dto.program?.code ?? (dto.program?.id ? lookups.programCode?.(dto.program.id) : undefined),
    authoredOn: authoredOnOf(dto),
    period: period
      ? dropUndefined({ start: period.startDate ?? undefined, end: period.endDate ?? undefined })
      : undefined,
    lines: (dto.requisitionLineItems ?? []).filter(isOrdered).map((l) => decodeLine(l, orderNumber, products, lookups)),
    source: { system: LMIS_SYSTEM, id: dto.id },
    lastUpdated: dto.modifiedDate ?? undefined,
    // the amendment of the order it holds (requisition-amend.ts)
    revision: typeof dto.extraData?.fhirOrderRevision === 'number' ? dto.extraData.fhirOrderRevision : undefined,
  });
}
