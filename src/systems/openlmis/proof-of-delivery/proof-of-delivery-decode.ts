import type { Delivery, DeliveryLine, Identifier, Lot, ProductRef } from '../../../domain/index.js';
import { NS } from '../../../domain/namespace.js';
import type { ProductMap } from '../types.js';
import { LMIS_SYSTEM, PROOF_OF_DELIVERY_SYSTEM, deliveryLineId, orderLineId } from '../identifiers.js';
import { facilityRefOf } from '../requisition/requisition-decode.js';
import { deliveryStatusOf } from '../requisition/requisition-status.js';
import type { FulfillmentOrderDto, PodLineDto, ProofOfDeliveryDto, ShipmentDto } from './shipment-dto.js';

/**
 * Order + shipment + proof of delivery → domain Delivery. Pure: the caller resolves orderables,
 * lots and reason names first (they are reference data, cached elsewhere). Quantities stay in
 * packs, the unit OpenLMIS fulfillment counts in; each Quantity says so.
 */
export const SHIPMENT_SYSTEM = `${NS}/identifier/openlmis-shipment`;

export interface DeliveryLookups {
  /** productCode (and name) of an orderable id, from the order's embedded orderables or reference data. */
  orderable(id: string): { productCode: string; fullProductName?: string } | undefined;
  lot(id: string): { lotCode: string; expirationDate?: string | null } | undefined;
  reasonName(id: string): string | undefined;
  products: Pick<ProductMap, 'toProduct'>;
}

export interface DeliverySources {
  order: FulfillmentOrderDto;
  shipment: ShipmentDto;
  pod?: ProofOfDeliveryDto;
  /** The order number the delivery is based on: the requisition's (extraData.fhirOrderNumber or its id). */
  orderNumber: Identifier;
}

/** The delivery's own identifier: the POD id once a POD exists (that is what a confirmation names). */
export function deliveryIdentifierOf(src: Pick<DeliverySources, 'shipment' | 'pod'>): Identifier {
  return src.pod
    ? { system: PROOF_OF_DELIVERY_SYSTEM, value: src.pod.id }
    : { system: SHIPMENT_SYSTEM, value: src.shipment.id };
}

export function podLineFor(
  pod: ProofOfDeliveryDto | undefined,
  orderableId: string,
  lotId: string | null | undefined,
): PodLineDto | undefined {
  return pod?.lineItems?.find((l) => l.orderable.id === orderableId && (l.lot?.id ?? null) === (lotId ?? null));
}

function productOf(orderableId: string, lookups: DeliveryLookups): ProductRef {
  const o = lookups.orderable(orderableId);
  return lookups.products.toProduct(o?.productCode ?? orderableId, o?.fullProductName);
}

function lotOf(lotId: string | null | undefined, lookups: DeliveryLookups): Lot | undefined {
  if (!lotId) return undefined;
  const lot = lookups.lot(lotId);
  if (!lot) return { number: lotId };
  return lot.expirationDate ? { number: lot.lotCode, expiry: lot.expirationDate } : { number: lot.lotCode };
}

function confirmedFields(line: PodLineDto, lookups: DeliveryLookups): Partial<DeliveryLine> {
  const out: Partial<DeliveryLine> = {};
  if (typeof line.quantityAccepted === 'number') out.quantityAccepted = { value: line.quantityAccepted, unit: 'pack' };
  if (typeof line.quantityRejected === 'number') out.quantityRejected = { value: line.quantityRejected, unit: 'pack' };
  if (line.rejectionReasonId)
    out.rejectionReason = lookups.reasonName(line.rejectionReasonId) ?? line.rejectionReasonId;
  if (line.vvmStatus) out.vvmStatus = line.vvmStatus;
  return out;
}

export function decodeDelivery(src: DeliverySources, lookups: DeliveryLookups): Delivery {
  const identifier = deliveryIdentifierOf(src);
  const lines: DeliveryLine[] = (src.shipment.lineItems ?? []).map((s) => {
    const product = productOf(s.orderable.id, lookups);
    const lot = lotOf(s.lot?.id, lookups);
    const podLine = podLineFor(src.pod, s.orderable.id, s.lot?.id);
    return {
      lineId: deliveryLineId(identifier, product, lot?.number),
      product,
      quantityShipped: { value: s.quantityShipped ?? 0, unit: 'pack' },
      ...(lot ? { lot } : {}),
      // a draft's counts too (the POD saved, not confirmed): read without them, a client saving
      // the draft back as read (another device, a changed receiver) would save it uncounted
      ...(podLine ? confirmedFields(podLine, lookups) : {}),
    };
  });
  const productKeys = new Map(lines.map((l) => [`${l.product.system}|${l.product.code}`, l.product]));
  const delivery: Delivery = {
    id: src.pod?.id ?? src.shipment.id,
    identifier,
    status: deliveryStatusOf(src.pod?.status),
    basedOn: {
      orderNumber: src.orderNumber,
      lineIds: [...productKeys.values()].map((p) => orderLineId(src.orderNumber, p)),
      // the order as the orders flow reads it: its requisition, or itself when it has none
      orderId: src.order.externalId ?? src.order.id,
    },
    destination: facilityRefOf(src.order.receivingFacility ?? src.order.requestingFacility) ?? {},
    supplier: facilityRefOf(src.order.supplyingFacility),
    // a draft's date and receiver too, once saved: read as shipped and unnamed, a draft saved
    // back as read would replace them
    occurredAt: src.pod?.receivedDate ?? src.shipment.shippedDate ?? undefined,
    receivedBy: src.pod?.receivedBy ?? undefined,
    // the date read is the day the confirmation (or the draft) gave (receivedDate, a date)
    ...(src.pod?.receivedDate ? { dateReceivedKept: 'day' as const } : {}),
    lines,
    source: { system: LMIS_SYSTEM, id: src.pod?.id ?? src.shipment.id },
    lastUpdated: src.order.lastUpdatedDate ?? undefined,
  };
  return Object.fromEntries(Object.entries(delivery).filter(([, v]) => v !== undefined)) as unknown as Delivery;
}
