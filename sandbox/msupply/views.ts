import type {
  Invoice,
  InvoiceLine,
  Item,
  StockLine,
  Stocktake,
  StocktakeLine,
  Name,
  Requisition,
  RequisitionLine,
  Store,
} from './model.js';
import type { MsupplyState } from './state.js';
import { moreNodeFields, stocktakeLineMoreFields } from './stock-line-more.js';

/**
 * Records → GraphQL objects. graphql-js's default resolver reads a property, or calls it with
 * the field's arguments when it is a function (fields with arguments such as `otherParty(storeId)`),
 * and resolves unions and interfaces by `__typename`, so these plain objects are the resolvers.
 * Every non-null field of a node the sandbox serves has a value, so any selection valid in the
 * schema executes.
 */
type Obj = Record<string, unknown>;

export function storeNode(state: MsupplyState, s: Store): Obj {
  return {
    __typename: 'StoreNode',
    id: s.id,
    code: s.code,
    storeName: s.name,
    siteId: s.siteId,
    createdDate: null,
    logo: null,
    name: ({ storeId }: { storeId: string }) => nameNode(state, state.names.get(s.nameId)!, storeId),
  };
}

export function nameNode(state: MsupplyState, n: Name, viewedFrom?: string): Obj {
  const seen = viewedFrom ? state.visibleName(viewedFrom, n.id) : undefined;
  const store = n.storeId ? state.stores.get(n.storeId) : undefined;
  return {
    __typename: 'NameNode',
    id: n.id,
    code: n.code,
    name: n.name,
    isCustomer: seen?.isCustomer ?? n.isCustomer,
    isSupplier: seen?.isSupplier ?? n.isSupplier,
    isStore: !!store,
    isVisible: !!seen,
    isSystemName: false,
    isOnHold: false,
    isDonor: false,
    isManufacturer: false,
    type: store ? 'STORE' : 'FACILITY',
    properties: JSON.stringify(n.properties ?? {}),
    store: store ? storeNode(state, store) : null,
    address1: null,
    address2: null,
    country: null,
    email: null,
    phone: null,
    website: null,
    comment: null,
    code2: null,
    chargeCode: null,
    createdDatetime: null,
    customData: null,
    dateOfBirth: null,
    firstName: null,
    lastName: null,
    gender: null,
    freightFactor: null,
    margin: null,
    hshCode: null,
    hshName: null,
    currency: null,
  };
}

export function itemNode(i: Item): Obj {
  return {
    __typename: 'ItemNode',
    id: i.id,
    code: i.code,
    name: i.name,
    defaultPackSize: i.defaultPackSize,
    unitName: i.unitName,
    type: 'STOCK',
    isVaccine: false,
    doses: 0,
    strength: null,
    atcCategory: '',
    ddd: '',
    margin: 0,
    msupplyUniversalCode: '',
    msupplyUniversalName: '',
    universalCode: '',
    outerPackSize: 0,
    volumePerOuterPack: 0,
    volumePerPack: 0,
    weight: 0,
    userField4: false,
    venCategory: 'NOT_ASSIGNED',
    categories: [],
    variants: [],
    warnings: [],
    itemDirections: [],
    ancillaryFor: [],
    ancillaryItems: [],
    restrictedLocationType: null,
    restrictedLocationTypeId: null,
  };
}

export function requisitionLineNode(state: MsupplyState, l: RequisitionLine): Obj {
  const r = state.requisitions.get(l.requisitionId)!;
  const item = state.items.get(l.itemId)!;
  return {
    __typename: 'RequisitionLineNode',
    id: l.id,
    itemId: l.itemId,
    itemName: item.name,
    item: itemNode(item),
    requisitionId: l.requisitionId,
    requisitionNumber: r.requisitionNumber,
    requestedQuantity: l.requestedQuantity,
    suggestedQuantity: l.suggestedQuantity,
    supplyQuantity: l.supplyQuantity,
    approvedQuantity: 0,
    alreadyIssued: 0,
    remainingQuantityToSupply: Math.max(0, l.supplyQuantity),
    comment: l.comment,
    approvalComment: null,
    averageMonthlyConsumption: 0,
    availableStockOnHand: 0,
    initialStockOnHandUnits: 0,
    incomingUnits: 0,
    outgoingUnits: 0,
    lossInUnits: 0,
    additionInUnits: 0,
    expiringUnits: 0,
    daysOutOfStock: 0,
    optionId: null,
    reason: null,
    pricePerUnit: null,
    forecastTotalDoses: null,
    forecastTotalUnits: null,
    vaccineCourses: null,
    linkedRequisitionLine: () =>
      l.linkedLineId && state.requisitionLines.get(l.linkedLineId)
        ? requisitionLineNode(state, state.requisitionLines.get(l.linkedLineId)!)
        : null,
  };
}

export function requisitionNode(state: MsupplyState, r: Requisition): Obj {
  const other = state.names.get(r.otherPartyId);
  const lines = state.linesOf(r.id).map((l) => requisitionLineNode(state, l));
  return {
    __typename: 'RequisitionNode',
    id: r.id,
    requisitionNumber: r.requisitionNumber,
    type: r.type,
    status: r.status,
    theirReference: r.theirReference,
    comment: r.comment,
    colour: null,
    orderType: null,
    programName: null,
    period: null,
    program: null,
    createdDatetime: r.createdDatetime,
    sentDatetime: r.sentDatetime,
    finalisedDatetime: r.finalisedDatetime,
    expectedDeliveryDate: r.expectedDeliveryDate,
    maxMonthsOfStock: r.maxMonthsOfStock,
    minMonthsOfStock: r.minMonthsOfStock,
    otherPartyId: r.otherPartyId,
    otherPartyName: other?.name ?? '',
    otherParty: ({ storeId }: { storeId: string }) => (other ? nameNode(state, other, storeId) : null),
    approvalStatus: 'NONE',
    isEmergency: false,
    createdFromRequisitionId: null,
    createdFromRequisition: null,
    lines: { __typename: 'RequisitionLineConnector', totalCount: lines.length, nodes: lines },
    linkedRequisition: () =>
      r.linkedRequisitionId && state.requisitions.get(r.linkedRequisitionId)
        ? requisitionNode(state, state.requisitions.get(r.linkedRequisitionId)!)
        : null,
    user: null,
  };
}

/** `{nodes, totalCount}` of one page (`page: {first, offset}`). */
export function connector(
  typename: string,
  all: Obj[],
  page?: { first?: number | null; offset?: number | null } | null,
): Obj {
  const offset = page?.offset ?? 0;
  const first = page?.first ?? all.length;
  return { __typename: typename, totalCount: all.length, nodes: all.slice(offset, offset + first) };
}

export function invoiceLineNode(state: MsupplyState, l: InvoiceLine): Obj {
  const item = state.items.get(l.itemId)!;
  const invoice = state.invoices.get(l.invoiceId)!;
  return {
    __typename: 'InvoiceLineNode',
    id: l.id,
    invoiceId: l.invoiceId,
    itemId: l.itemId,
    itemCode: item.code,
    itemName: item.name,
    item: itemNode(item),
    batch: l.batch,
    expiryDate: l.expiryDate,
    packSize: l.packSize,
    numberOfPacks: l.numberOfPacks,
    shippedNumberOfPacks: l.shippedNumberOfPacks,
    shippedPackSize: l.packSize,
    type: invoice.type === 'INBOUND_SHIPMENT' ? 'STOCK_IN' : 'STOCK_OUT',
    status: null,
    costPricePerPack: 0,
    sellPricePerPack: 0,
    totalAfterTax: 0,
    totalBeforeTax: 0,
    volumePerPack: 0,
    note: null,
    locationId: null,
    locationName: null,
    location: null,
    linkedInvoiceId: invoice.linkedInvoiceId,
    stockLine: null,
  };
}

export function invoiceNode(state: MsupplyState, i: Invoice): Obj {
  const other = state.names.get(i.otherPartyId);
  const lines = state.invoiceLinesOf(i.id).map((l) => invoiceLineNode(state, l));
  const requisition = i.requisitionId ? state.requisitions.get(i.requisitionId) : undefined;
  return {
    __typename: 'InvoiceNode',
    id: i.id,
    invoiceNumber: i.invoiceNumber,
    type: i.type,
    status: i.status,
    otherPartyId: i.otherPartyId,
    otherPartyName: other?.name ?? '',
    otherParty: ({ storeId }: { storeId: string }) => (other ? nameNode(state, other, storeId) : null),
    theirReference: i.theirReference,
    comment: null,
    colour: null,
    onHold: false,
    isCancellation: false,
    inboundType: 'FROM_REQUISITION',
    createdDatetime: i.createdDatetime,
    shippedDatetime: i.shippedDatetime,
    deliveredDatetime: i.deliveredDatetime,
    receivedDatetime: i.receivedDatetime,
    verifiedDatetime: i.verifiedDatetime,
    allocatedDatetime: null,
    pickedDatetime: null,
    cancelledDatetime: null,
    currencyRate: 1,
    chargesForeignCurrency: 0,
    chargesLocalCurrency: 0,
    store: storeNode(state, state.stores.get(i.storeId)!),
    requisition: requisition ? requisitionNode(state, requisition) : null,
    linkedShipment: () =>
      i.linkedInvoiceId && state.invoices.get(i.linkedInvoiceId)
        ? invoiceNode(state, state.invoices.get(i.linkedInvoiceId)!)
        : null,
    lines: { __typename: 'InvoiceLineConnector', totalCount: lines.length, nodes: lines },
  };
}

export function stockLineNode(state: MsupplyState, l: StockLine): Obj {
  const item = state.items.get(l.itemId)!;
  return {
    __typename: 'StockLineNode',
    id: l.id,
    storeId: l.storeId,
    itemId: l.itemId,
    itemName: item.name,
    item: itemNode(item),
    batch: l.batch,
    expiryDate: l.expiryDate,
    packSize: l.packSize,
    totalNumberOfPacks: l.totalNumberOfPacks,
    availableNumberOfPacks: l.availableNumberOfPacks,
    onHold: l.onHold,
    costPricePerPack: 0,
    sellPricePerPack: 0,
    totalVolume: 0,
    barcode: null,
    note: null,
    locationName: null,
    ...moreNodeFields(state, l.more),
    supplierName: null,
    vvmStatusId: null,
    vvmStatus: null,
    itemVariantId: null,
  };
}

export function stocktakeLineNode(state: MsupplyState, l: StocktakeLine): Obj {
  const item = state.items.get(l.itemId)!;
  const stock = l.stockLineId ? state.stockLines.get(l.stockLineId) : undefined;
  return {
    __typename: 'StocktakeLineNode',
    id: l.id,
    stocktakeId: l.stocktakeId,
    itemId: l.itemId,
    itemName: item.name,
    item: itemNode(item),
    batch: l.batch,
    expiryDate: l.expiryDate,
    packSize: l.packSize,
    snapshotNumberOfPacks: l.snapshotNumberOfPacks,
    countedNumberOfPacks: l.countedNumberOfPacks,
    stockLine: stock ? stockLineNode(state, stock) : null,
    ...stocktakeLineMoreFields(state, l.more),
    comment: null,
    note: null,
    inventoryAdjustmentReasonId: null,
    inventoryAdjustmentReason: null,
    reasonOption: state.adjustmentReasons.find((r) => r.id === l.reasonOptionId)
      ? { __typename: 'ReasonOptionNode', ...state.adjustmentReasons.find((r) => r.id === l.reasonOptionId) }
      : null,
  };
}

export function stocktakeNode(state: MsupplyState, s: Stocktake): Obj {
  const lines = state.stocktakeLinesOf(s.id).map((l) => stocktakeLineNode(state, l));
  return {
    __typename: 'StocktakeNode',
    id: s.id,
    storeId: s.storeId,
    stocktakeNumber: s.stocktakeNumber,
    status: s.status,
    description: s.description,
    comment: s.comment,
    createdDatetime: s.createdDatetime,
    finalisedDatetime: s.finalisedDatetime,
    stocktakeDate: s.stocktakeDate ?? null,
    isLocked: false,
    isInitialStocktake: false,
    countedBy: null,
    verifiedBy: null,
    inventoryAdditionId: null,
    inventoryReductionId: null,
    inventoryAddition: null,
    inventoryReduction: null,
    lines: { __typename: 'StocktakeLineConnector', totalCount: lines.length, nodes: lines },
  };
}
