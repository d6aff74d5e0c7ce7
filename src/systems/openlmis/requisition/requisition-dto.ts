/**
 * The parts of the OpenLMIS requisition DTOs (v1 RequisitionDto, BasicRequisitionDto, periods for
 * initiate) the order flow reads. Real servers serialise nulls, so nearly everything is optional
 * and nullable (reference §0); the PUT sends the whole object back, so unknown fields are kept
 * through the index signature rather than dropped.
 */
export interface RefDto {
  id: string;
  code?: string | null;
  name?: string | null;
  [field: string]: unknown;
}

export interface OrderableDto {
  id: string;
  productCode?: string | null;
  fullProductName?: string | null;
  netContent?: number | null;
  meta?: { versionNumber?: number | string | null } | null;
  versionNumber?: number | null;
  [field: string]: unknown;
}

export interface RequisitionLineDto {
  id?: string | null;
  orderable: OrderableDto;
  requestedQuantity?: number | null;
  requestedQuantityExplanation?: string | null;
  approvedQuantity?: number | null;
  skipped?: boolean | null;
  [field: string]: unknown;
}

export interface PeriodDto {
  id: string;
  name?: string | null;
  startDate?: string | null;
  endDate?: string | null;
  [field: string]: unknown;
}

/** The client's order number, stored by us in the requisition's extraData on the fill PUT. */
export interface FhirOrderNumberExtra {
  system?: unknown;
  value?: unknown;
}

export interface RequisitionDto {
  id: string;
  status: string;
  emergency?: boolean | null;
  createdDate?: string | null;
  modifiedDate?: string | null;
  /** v1: an embedded FacilityDto (BasicRequisitionDto: {id, code, name}). */
  facility?: RefDto | null;
  program?: RefDto | null;
  processingPeriod?: PeriodDto | null;
  /** A facility UUID once approved (v1 sends the id, not an object). */
  supplyingFacility?: string | RefDto | null;
  extraData?: ({ fhirOrderNumber?: FhirOrderNumberExtra | null } & Record<string, unknown>) | null;
  requisitionLineItems?: RequisitionLineDto[] | null;
  /**
   * Products that may be added as new lines: an emergency requisition starts with no lines at all
   * (Requisition.initiate only builds lines for regular ones), and non-full-supply products are
   * never pre-filled.
   */
  availableFullSupplyProducts?: OrderableDto[] | null;
  availableNonFullSupplyProducts?: OrderableDto[] | null;
  [field: string]: unknown;
}

/** GET /api/requisitions/periodsForInitiate element (RequisitionPeriodDto). */
export interface InitiablePeriodDto extends PeriodDto {
  requisitionId?: string | null;
  requisitionStatus?: string | null;
}
