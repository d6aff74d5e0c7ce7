import type { OrderableDto, PeriodDto, RefDto } from '../requisition/requisition-dto.js';

/**
 * The parts of the OpenLMIS fulfillment DTOs (OrderDto, ShipmentDto, ProofOfDeliveryDto) the
 * delivery flow reads. Order, shipment and POD quantities are PACKS. Nested references are
 * `{id, href[, versionNumber]}`; nulls are everywhere on real servers.
 */
export interface VersionRefDto {
  id: string;
  versionNumber?: number | string | null;
  href?: string | null;
}

export interface FulfillmentOrderDto {
  id: string;
  /** The requisition id (null for requisition-less orders). */
  externalId?: string | null;
  emergency?: boolean | null;
  status?: string | null;
  orderCode?: string | null;
  createdDate?: string | null;
  lastUpdatedDate?: string | null;
  program?: RefDto | null;
  processingPeriod?: PeriodDto | null;
  requestingFacility?: RefDto | null;
  receivingFacility?: RefDto | null;
  supplyingFacility?: RefDto | null;
  orderLineItems?: Array<{ id?: string | null; orderable: OrderableDto; orderedQuantity?: number | null }> | null;
  extraData?: Record<string, unknown> | null;
  [field: string]: unknown;
}

export interface ShipmentLineDto {
  id?: string | null;
  orderable: VersionRefDto;
  lot?: { id: string } | null;
  quantityShipped?: number | null;
}

export interface ShipmentDto {
  id: string;
  order: { id: string };
  shippedDate?: string | null;
  lineItems?: ShipmentLineDto[] | null;
  [field: string]: unknown;
}

export interface PodLineDto {
  id?: string | null;
  orderable: VersionRefDto;
  lot?: { id: string; href?: string | null } | null;
  quantityAccepted?: number | null;
  quantityRejected?: number | null;
  rejectionReasonId?: string | null;
  useVvm?: boolean | null;
  vvmStatus?: string | null;
  notes?: string | null;
  [field: string]: unknown;
}

export interface ProofOfDeliveryDto {
  id: string;
  shipment: { id: string; href?: string | null };
  status?: string | null;
  deliveredBy?: string | null;
  receivedBy?: string | null;
  receivedDate?: string | null;
  lineItems?: PodLineDto[] | null;
  [field: string]: unknown;
}
