/** The sandbox's records: the subset of Open mSupply's tables the resolvers need. */
export interface User {
  id: string;
  username: string;
  password: string;
  storeIds: string[];
  failedLogins: number;
  blockedUntil?: number;
}
export interface Store {
  id: string;
  code: string;
  name: string;
  nameId: string;
  siteId: number;
}
export interface Name {
  id: string;
  code: string;
  name: string;
  storeId?: string;
  isCustomer: boolean;
  isSupplier: boolean;
  /** name.is_manufacturer: a stocktake line may name it as its manufacturer. */
  isManufacturer?: boolean;
  /** Name properties (name_property values by property key), served as NameNode.properties JSON. */
  properties?: Record<string, unknown>;
}
/** Which names each store sees (name_store_join), with the store's view of them. */
export interface NameVisibility {
  storeId: string;
  nameId: string;
  isCustomer: boolean;
  isSupplier: boolean;
}
export interface Item {
  id: string;
  code: string;
  name: string;
  defaultPackSize: number;
  unitName: string;
}
export interface StockLine {
  id: string;
  storeId: string;
  itemId: string;
  batch: string | null;
  expiryDate: string | null;
  packSize: number;
  totalNumberOfPacks: number;
  availableNumberOfPacks: number;
  onHold: boolean;
  /** Fields a stocktake's finalise writes over from its line (none unless set). */
  more?: StockLineMore;
}

/**
 * A stock line's location, manufacture date, volume per pack, donor, manufacturer, campaign and
 * program: kept on a stocktake line only as its insert gives them (stocktake_line/insert/generate.rs)
 * and written over the stock line's at finalise (stocktake/update/generate.rs).
 */
export interface StockLineMore {
  locationId?: string | null;
  manufactureDate?: string | null;
  volumePerPack?: number;
  donorId?: string | null;
  manufacturerId?: string | null;
  campaignId?: string | null;
  programId?: string | null;
}

export type RequisitionType = 'REQUEST' | 'RESPONSE';
export type RequisitionStatus = 'DRAFT' | 'NEW' | 'SENT' | 'FINALISED';
export interface Requisition {
  id: string;
  storeId: string;
  requisitionNumber: number;
  type: RequisitionType;
  status: RequisitionStatus;
  otherPartyId: string;
  theirReference: string | null;
  comment: string | null;
  maxMonthsOfStock: number;
  minMonthsOfStock: number;
  expectedDeliveryDate: string | null;
  createdDatetime: string;
  sentDatetime: string | null;
  finalisedDatetime: string | null;
  linkedRequisitionId: string | null;
  userId: string;
}
export interface RequisitionLine {
  id: string;
  requisitionId: string;
  itemId: string;
  requestedQuantity: number;
  suggestedQuantity: number;
  supplyQuantity: number;
  comment: string | null;
  linkedLineId: string | null;
}
export interface Token {
  token: string;
  userId: string;
  expiresAt: number;
}

export type InvoiceType = 'OUTBOUND_SHIPMENT' | 'INBOUND_SHIPMENT';
export type InvoiceStatus =
  'NEW' | 'ALLOCATED' | 'PICKED' | 'SHIPPED' | 'DELIVERED' | 'RECEIVED' | 'VERIFIED' | 'CANCELLED';
export interface Invoice {
  id: string;
  storeId: string;
  invoiceNumber: number;
  type: InvoiceType;
  status: InvoiceStatus;
  otherPartyId: string;
  theirReference: string | null;
  requisitionId: string | null;
  linkedInvoiceId: string | null;
  createdDatetime: string;
  shippedDatetime: string | null;
  deliveredDatetime: string | null;
  receivedDatetime: string | null;
  verifiedDatetime: string | null;
}
export interface InvoiceLine {
  id: string;
  invoiceId: string;
  itemId: string;
  batch: string | null;
  expiryDate: string | null;
  packSize: number;
  numberOfPacks: number;
  shippedNumberOfPacks: number | null;
  stockLineId: string | null;
}

export interface Stocktake {
  id: string;
  storeId: string;
  stocktakeNumber: number;
  status: 'NEW' | 'FINALISED';
  description: string | null;
  comment: string | null;
  createdDatetime: string;
  finalisedDatetime: string | null;
  /** The day the stock was counted (UpdateStocktakeInput.stocktakeDate, a NaiveDate); null until set. */
  stocktakeDate?: string | null;
}
export interface StocktakeLine {
  id: string;
  stocktakeId: string;
  itemId: string;
  stockLineId: string | null;
  batch: string | null;
  expiryDate: string | null;
  /** As given on insert or update (none unless given): Open mSupply's stocktake_line.pack_size. */
  packSize: number | null;
  snapshotNumberOfPacks: number;
  countedNumberOfPacks: number | null;
  reasonOptionId: string | null;
  more?: StockLineMore;
}

/** A reason option of one of the two inventory adjustment types. */
export interface AdjustmentReason {
  id: string;
  reason: string;
  type: 'POSITIVE_INVENTORY_ADJUSTMENT' | 'NEGATIVE_INVENTORY_ADJUSTMENT';
  isActive: boolean;
}
