/** In-memory records of the simulated OpenLMIS services (one concept each; DTOs are built from these). */
export type Json = Record<string, unknown>;

export interface GeographicLevel {
  id: string;
  code: string;
  name: string;
  levelNumber: number;
}
export interface GeographicZone {
  id: string;
  code: string;
  name: string;
  levelId: string;
  parentId: string | null;
  catchmentPopulation: number | null;
  latitude: number | null;
  longitude: number | null;
  extraData: Json;
}
export interface FacilityType {
  id: string;
  code: string;
  name: string;
  description: string | null;
  displayOrder: number;
  active: boolean;
  primaryHealthCare: boolean;
}
export interface FacilityOperator {
  id: string;
  code: string;
  name: string;
  description: string | null;
  displayOrder: number;
}
export interface SupportedProgram {
  programId: string;
  supportActive: boolean;
  supportLocallyFulfilled: boolean;
  supportStartDate: string | null;
}
export interface Facility {
  id: string;
  code: string;
  name: string;
  description: string | null;
  active: boolean;
  enabled: boolean;
  goLiveDate: string | null;
  goDownDate: string | null;
  comment: string | null;
  openLmisAccessible: boolean;
  typeId: string;
  zoneId: string;
  operatorId: string | null;
  /** GeoJSON order: [longitude, latitude] */
  location: [number, number] | null;
  extraData: Json;
  supportedPrograms: SupportedProgram[];
}
export interface Program {
  id: string;
  code: string;
  name: string;
  description: string | null;
  active: boolean;
  periodsSkippable: boolean;
  skipAuthorization: boolean;
  showNonFullSupplyTab: boolean;
  enableDatePhysicalStockCountCompleted: boolean;
}
export interface ProgramOrderable {
  programId: string;
  orderableDisplayCategoryId: string;
  orderableCategoryDisplayName: string;
  orderableCategoryDisplayOrder: number;
  active: boolean;
  fullSupply: boolean;
  displayOrder: number;
  dosesPerPatient: number | null;
  pricePerPack: number;
}
export interface Orderable {
  id: string;
  versionNumber: number;
  productCode: string;
  fullProductName: string;
  description: string;
  netContent: number;
  packRoundingThreshold: number;
  roundToZero: boolean;
  dispensable: { dispensingUnit: string; displayUnit: string };
  programs: ProgramOrderable[];
  identifiers: Record<string, string>;
  extraData: Json;
  lastUpdated: string;
}
export interface Lot {
  id: string;
  lotCode: string;
  expirationDate: string | null;
  manufactureDate: string | null;
  tradeItemId: string;
  active: boolean;
}
export interface ProcessingSchedule {
  id: string;
  code: string;
  name: string;
  description: string | null;
  modifiedDate: string | null;
}
export interface ProcessingPeriod {
  id: string;
  scheduleId: string;
  name: string;
  description: string | null;
  startDate: string;
  endDate: string;
  durationInMonths: number;
}
export interface FacilityTypeApprovedProduct {
  id: string;
  versionNumber: number;
  facilityTypeId: string;
  orderableId: string;
  programId: string;
  maxPeriodsOfStock: number;
  minPeriodsOfStock: number | null;
  emergencyOrderPoint: number | null;
  active: boolean;
}
export interface SupervisoryNode {
  id: string;
  code: string;
  name: string;
  facilityId: string;
  parentId: string | null;
  supplyLines: Record<string, string>;
}
export interface RequisitionGroup {
  id: string;
  code: string;
  supervisoryNodeId: string;
  memberFacilityIds: string[];
  programSchedules: Array<{ programId: string; scheduleId: string }>;
}
export interface RightAssignment {
  right: string;
  programId?: string;
  facilityId?: string;
  supervisoryNodeId?: string;
}
export interface User {
  id: string;
  username: string;
  password: string;
  firstName: string;
  lastName: string;
  email: string;
  homeFacilityId: string | null;
  active: boolean;
  rights: RightAssignment[];
}
export interface OAuthClient {
  clientId: string;
  secret: string;
  grants: string[];
}
export interface ApiKey {
  token: string;
  clientId: string;
  createdDate: string;
}
export interface Reason {
  id: string;
  name: string;
  description: string;
  reasonType: 'CREDIT' | 'DEBIT' | 'BALANCE_ADJUSTMENT';
  reasonCategory: 'TRANSFER' | 'ADJUSTMENT' | 'PHYSICAL_INVENTORY' | 'AGGREGATION';
  isFreeTextAllowed: boolean;
  tags: string[];
}
export interface ValidReasonAssignment {
  id: string;
  programId: string;
  facilityTypeId: string;
  reasonId: string;
  hidden: boolean;
}
export interface Organization {
  id: string;
  name: string;
}
export interface StockNode {
  id: string;
  referenceId: string;
  isRefDataFacility: boolean;
}
export interface ValidSourceDestination {
  id: string;
  kind: 'source' | 'destination';
  programId: string;
  facilityTypeId: string;
  nodeId: string;
  isFreeTextAllowed: boolean;
}

export interface StockCardLineItem {
  id: string;
  eventId: string;
  quantity: number;
  signedQuantity: number;
  reasonId: string | null;
  sourceId: string | null;
  destinationId: string | null;
  occurredDate: string;
  processedDate: string;
  stockOnHand: number;
  documentNumber: string | null;
  signature: string | null;
  physicalInventory: boolean;
}
export interface StockCard {
  id: string;
  facilityId: string;
  programId: string;
  orderableId: string;
  lotId: string | null;
  lineItems: StockCardLineItem[];
}
export type StockEventKind = 'physicalInventory' | 'adjustment' | 'receive' | 'issue';
export interface StockEvent {
  id: string;
  kind: StockEventKind;
  facilityId: string;
  programId: string;
  documentNumber: string | null;
  signature: string | null;
  userId: string | null;
  processedDate: string;
  lineItems: Json[];
}

export type RequisitionStatus =
  | 'INITIATED'
  | 'REJECTED'
  | 'SUBMITTED'
  | 'AUTHORIZED'
  | 'IN_APPROVAL'
  | 'APPROVED'
  | 'RELEASED'
  | 'RELEASED_WITHOUT_ORDER'
  | 'SKIPPED';
/** Statuses before authorization (`RequisitionStatus.isPreAuthorize`). */
export const PRE_AUTHORIZE: RequisitionStatus[] = ['INITIATED', 'REJECTED', 'SUBMITTED'];
/** `isUpdatable`: value < 4 (before APPROVED) and not SKIPPED. */
export const UPDATABLE: RequisitionStatus[] = ['INITIATED', 'REJECTED', 'SUBMITTED', 'AUTHORIZED', 'IN_APPROVAL'];

export interface RequisitionLineItem {
  id: string;
  orderableId: string;
  orderableVersion: number;
  approvedProductId: string;
  approvedProductVersion: number;
  beginningBalance: number | null;
  totalReceivedQuantity: number | null;
  totalLossesAndAdjustments: number | null;
  stockOnHand: number | null;
  totalConsumedQuantity: number | null;
  requestedQuantity: number | null;
  requestedQuantityExplanation: string | null;
  remarks: string | null;
  approvedQuantity: number | null;
  totalStockoutDays: number | null;
  calculatedOrderQuantity: number | null;
  skipped: boolean;
  pricePerPack: number | null;
  maxPeriodsOfStock: number | null;
}
export interface StatusChange {
  status: RequisitionStatus;
  authorId: string | null;
  createdDate: string;
}
export interface Requisition {
  id: string;
  facilityId: string;
  programId: string;
  periodId: string;
  emergency: boolean;
  reportOnly: boolean;
  status: RequisitionStatus;
  createdDate: string;
  modifiedDate: string;
  supervisoryNodeId: string | null;
  supplyingFacilityId: string | null;
  templateId: string;
  draftStatusMessage: string | null;
  datePhysicalStockCountCompleted: string | null;
  extraData: Json;
  lineItems: RequisitionLineItem[];
  statusChanges: StatusChange[];
  availableApprovedProductIds: string[];
}

export type OrderStatus =
  'CREATING' | 'ORDERED' | 'FULFILLING' | 'SHIPPED' | 'RECEIVED' | 'TRANSFER_FAILED' | 'IN_ROUTE' | 'READY_TO_PACK';
export interface OrderLineItem {
  id: string;
  orderableId: string;
  orderableVersion: number;
  orderedQuantity: number;
}
export interface Order {
  id: string;
  externalId: string | null;
  emergency: boolean;
  facilityId: string;
  requestingFacilityId: string;
  receivingFacilityId: string;
  supplyingFacilityId: string;
  processingPeriodId: string | null;
  programId: string;
  createdDate: string;
  createdById: string;
  orderCode: string;
  status: OrderStatus;
  quotedCost: number;
  lineItems: OrderLineItem[];
  requisitionLess: boolean;
  statusChanges: Array<{ status: OrderStatus; authorId: string; createdDate: string }>;
  lastUpdaterId: string;
  lastUpdatedDate: string;
  extraData: Json;
}
export interface ShipmentLineItem {
  id: string;
  orderableId: string;
  orderableVersion: number;
  lotId: string | null;
  quantityShipped: number;
}
export interface Shipment {
  id: string;
  orderId: string;
  shippedById: string;
  shippedDate: string;
  notes: string | null;
  lineItems: ShipmentLineItem[];
  extraData: Json;
}
export interface ProofOfDeliveryLineItem {
  id: string;
  orderableId: string;
  orderableVersion: number;
  lotId: string | null;
  quantityAccepted: number | null;
  quantityRejected: number | null;
  rejectionReasonId: string | null;
  useVvm: boolean;
  vvmStatus: string | null;
  notes: string | null;
}
export interface ProofOfDelivery {
  id: string;
  shipmentId: string;
  status: 'INITIATED' | 'CONFIRMED';
  deliveredBy: string | null;
  receivedBy: string | null;
  receivedDate: string | null;
  lineItems: ProofOfDeliveryLineItem[];
}
