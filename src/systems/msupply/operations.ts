/**
 * Every GraphQL document the connector sends, in one place, so a test can validate each against
 * Open mSupply's schema (graphql `validate`). Names and shapes follow the schema's generated types
 * (client/packages/common/src/types/schema.ts in msupply-foundation/open-msupply). Every result
 * selects `__typename` so unions (RequisitionNode | RecordNotFound, XNode | XError) are decoded by
 * what they are, and every mutation selects its error union member with the error's type and words.
 */

export const AUTH_TOKEN = /* GraphQL */ `
  query authToken($username: String!, $password: String!) {
    authToken(username: $username, password: $password) {
      __typename
      ... on AuthToken {
        token
      }
      ... on AuthTokenError {
        error {
          __typename
          description
          ... on AccountBlocked {
            timeoutRemaining
          }
        }
      }
    }
  }
`;

export const ME = /* GraphQL */ `
  query me {
    me {
      __typename
      ... on UserNode {
        userId
        username
        defaultStore {
          id
          code
          name
          nameId
        }
        stores {
          totalCount
          nodes {
            __typename
            id
            code
            name
            nameId
            isDisabled
          }
        }
      }
    }
  }
`;

export const STORES = /* GraphQL */ `
  query stores($filter: StoreFilterInput, $page: PaginationInput) {
    stores(filter: $filter, page: $page) {
      __typename
      ... on StoreConnector {
        totalCount
        nodes {
          __typename
          id
          code
          storeName
          siteId
        }
      }
    }
  }
`;

export const NAMES = /* GraphQL */ `
  query names($storeId: String!, $filter: NameFilterInput, $page: PaginationInput) {
    names(storeId: $storeId, filter: $filter, page: $page) {
      __typename
      ... on NameConnector {
        totalCount
        nodes {
          __typename
          id
          code
          name
          isCustomer
          isSupplier
          store {
            __typename
            id
            code
          }
        }
      }
    }
  }
`;

/** A new bearer for the refresh_token cookie (sent as a header; the query takes no argument). */
export const REFRESH_TOKEN = /* GraphQL */ `
  query refreshToken {
    refreshToken {
      __typename
      ... on RefreshToken {
        token
      }
      ... on RefreshTokenError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const ITEMS = /* GraphQL */ `
  query items($storeId: String!, $filter: ItemFilterInput, $page: PaginationInput) {
    items(storeId: $storeId, filter: $filter, page: $page) {
      __typename
      ... on ItemConnector {
        totalCount
        nodes {
          __typename
          id
          code
          name
          defaultPackSize
          unitName
        }
      }
    }
  }
`;

/**
 * Items with the store's figures for them (ItemNode.stats: stock on hand, average monthly
 * consumption over the store's lookback period, months of stock), as of today.
 */
export const ITEM_STATS = /* GraphQL */ `
  query itemStats($storeId: String!, $filter: ItemFilterInput, $page: PaginationInput) {
    items(storeId: $storeId, filter: $filter, page: $page) {
      __typename
      ... on ItemConnector {
        totalCount
        nodes {
          __typename
          id
          stats(storeId: $storeId) {
            __typename
            stockOnHand
            averageMonthlyConsumption
            monthsOfStockOnHand
          }
        }
      }
    }
  }
`;

const REQUISITION_FIELDS = /* GraphQL */ `
  fragment RequisitionFields on RequisitionNode {
    __typename
    id
    requisitionNumber
    type
    status
    theirReference
    comment
    createdDatetime
    sentDatetime
    finalisedDatetime
    expectedDeliveryDate
    otherPartyId
    otherPartyName
    otherParty(storeId: $storeId) {
      __typename
      id
      store {
        __typename
        id
        code
      }
    }
    lines {
      totalCount
      nodes {
        __typename
        id
        itemId
        requestedQuantity
        supplyQuantity
        item {
          __typename
          id
          code
          name
          defaultPackSize
        }
      }
    }
  }
`;

export const REQUISITION = /* GraphQL */ `
  query requisition($storeId: String!, $id: String!, $linked: Boolean = false) {
    requisition(storeId: $storeId, id: $id) {
      __typename
      ... on RequisitionNode {
        ...RequisitionFields
        linkedRequisition @include(if: $linked) {
          ...RequisitionFields
        }
      }
      ... on RecordNotFound {
        description
      }
    }
  }
  ${REQUISITION_FIELDS}
`;

export const REQUISITIONS = /* GraphQL */ `
  query requisitions(
    $storeId: String!
    $filter: RequisitionFilterInput
    $page: PaginationInput
    $linked: Boolean = false
  ) {
    requisitions(storeId: $storeId, filter: $filter, page: $page) {
      __typename
      ... on RequisitionConnector {
        totalCount
        nodes {
          ...RequisitionFields
          linkedRequisition @include(if: $linked) {
            ...RequisitionFields
          }
        }
      }
    }
  }
  ${REQUISITION_FIELDS}
`;

export const INSERT_REQUEST_REQUISITION = /* GraphQL */ `
  mutation insertRequestRequisition($storeId: String!, $input: InsertRequestRequisitionInput!) {
    insertRequestRequisition(storeId: $storeId, input: $input) {
      __typename
      ... on RequisitionNode {
        id
        status
      }
      ... on InsertRequestRequisitionError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const INSERT_REQUEST_REQUISITION_LINE = /* GraphQL */ `
  mutation insertRequestRequisitionLine($storeId: String!, $input: InsertRequestRequisitionLineInput!) {
    insertRequestRequisitionLine(storeId: $storeId, input: $input) {
      __typename
      ... on RequisitionLineNode {
        id
        itemId
        requestedQuantity
      }
      ... on InsertRequestRequisitionLineError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

/** Only while the requisition is DRAFT (CannotEditRequisition after). */
export const DELETE_REQUEST_REQUISITION_LINE = /* GraphQL */ `
  mutation deleteRequestRequisitionLine($storeId: String!, $input: DeleteRequestRequisitionLineInput!) {
    deleteRequestRequisitionLine(storeId: $storeId, input: $input) {
      __typename
      ... on DeleteResponse {
        id
      }
      ... on DeleteRequestRequisitionLineError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const UPDATE_REQUEST_REQUISITION_LINE = /* GraphQL */ `
  mutation updateRequestRequisitionLine($storeId: String!, $input: UpdateRequestRequisitionLineInput!) {
    updateRequestRequisitionLine(storeId: $storeId, input: $input) {
      __typename
      ... on RequisitionLineNode {
        id
        itemId
        requestedQuantity
      }
      ... on UpdateRequestRequisitionLineError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const UPDATE_REQUEST_REQUISITION = /* GraphQL */ `
  mutation updateRequestRequisition($storeId: String!, $input: UpdateRequestRequisitionInput!) {
    updateRequestRequisition(storeId: $storeId, input: $input) {
      __typename
      ... on RequisitionNode {
        id
        status
      }
      ... on UpdateRequestRequisitionError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const INSERT_RESPONSE_REQUISITION = /* GraphQL */ `
  mutation insertResponseRequisition($storeId: String!, $input: InsertResponseRequisitionInput!) {
    insertResponseRequisition(storeId: $storeId, input: $input) {
      __typename
      ... on RequisitionNode {
        id
        status
      }
      ... on InsertResponseRequisitionError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const INSERT_RESPONSE_REQUISITION_LINE = /* GraphQL */ `
  mutation insertResponseRequisitionLine($storeId: String!, $input: InsertResponseRequisitionLineInput!) {
    insertResponseRequisitionLine(storeId: $storeId, input: $input) {
      __typename
      ... on RequisitionLineNode {
        id
        itemId
        requestedQuantity
      }
      ... on InsertResponseRequisitionLineError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const UPDATE_RESPONSE_REQUISITION_LINE = /* GraphQL */ `
  mutation updateResponseRequisitionLine($storeId: String!, $input: UpdateResponseRequisitionLineInput!) {
    updateResponseRequisitionLine(storeId: $storeId, input: $input) {
      __typename
      ... on RequisitionLineNode {
        id
        itemId
        requestedQuantity
      }
      ... on UpdateResponseRequisitionLineError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const UPDATE_RESPONSE_REQUISITION = /* GraphQL */ `
  mutation updateResponseRequisition($storeId: String!, $input: UpdateResponseRequisitionInput!) {
    updateResponseRequisition(storeId: $storeId, input: $input) {
      __typename
      ... on RequisitionNode {
        id
        status
      }
      ... on UpdateResponseRequisitionError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

/** Name property values (keys the central server configured as remote-editable); the keys given are set. */
export const UPDATE_NAME_PROPERTIES = /* GraphQL */ `
  mutation updateNameProperties($storeId: String!, $input: UpdateNamePropertiesInput!) {
    updateNameProperties(storeId: $storeId, input: $input) {
      __typename
      ... on NameNode {
        id
        properties
      }
      ... on UpdateNamePropertiesError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

/** What a shipment reads of its requisition (and the request a response was made from): the order it fulfils. */
const SHIPMENT_REQUISITION_FIELDS = /* GraphQL */ `
  fragment ShipmentRequisitionFields on RequisitionNode {
    id
    type
    requisitionNumber
    theirReference
    comment
  }
`;

const SHIPMENT_FIELDS = /* GraphQL */ `
  fragment ShipmentFields on InvoiceNode {
    __typename
    id
    invoiceNumber
    type
    status
    theirReference
    otherPartyId
    otherPartyName
    otherParty(storeId: $storeId) {
      __typename
      id
      store {
        __typename
        id
        code
      }
    }
    createdDatetime
    shippedDatetime
    deliveredDatetime
    receivedDatetime
    verifiedDatetime
    requisition {
      __typename
      ...ShipmentRequisitionFields
      linkedRequisition {
        __typename
        ...ShipmentRequisitionFields
      }
    }
    lines {
      totalCount
      nodes {
        __typename
        id
        itemId
        itemCode
        itemName
        batch
        expiryDate
        packSize
        numberOfPacks
        shippedNumberOfPacks
        type
      }
    }
  }
  ${SHIPMENT_REQUISITION_FIELDS}
`;

export const SHIPMENTS = /* GraphQL */ `
  query shipments(
    $storeId: String!
    $filter: InvoiceFilterInput
    $page: PaginationInput
    $linked: Boolean = false
  ) {
    invoices(storeId: $storeId, filter: $filter, page: $page) {
      __typename
      ... on InvoiceConnector {
        totalCount
        nodes {
          ...ShipmentFields
          linkedShipment @include(if: $linked) {
            ...ShipmentFields
          }
        }
      }
    }
  }
  ${SHIPMENT_FIELDS}
`;

export const UPDATE_INBOUND_SHIPMENT = /* GraphQL */ `
  mutation updateInboundShipment($storeId: String!, $input: UpdateInboundShipmentInput!) {
    updateInboundShipment(storeId: $storeId, input: $input) {
      __typename
      ... on InvoiceNode {
        id
        status
      }
      ... on UpdateInboundShipmentError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const UPDATE_INBOUND_SHIPMENT_LINE = /* GraphQL */ `
  mutation updateInboundShipmentLine($storeId: String!, $input: UpdateInboundShipmentLineInput!) {
    updateInboundShipmentLine(storeId: $storeId, input: $input) {
      __typename
      ... on InvoiceLineNode {
        id
        numberOfPacks
      }
      ... on UpdateInboundShipmentLineError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

/**
 * A stock line's own fields a count keeps: read with the stock (STOCK_LINES) and, before finalise,
 * with a stocktake's lines (STOCKTAKES), to top up a line that lacks them (stocktake-top-up.ts).
 */
const STOCK_LINE_OWN_FIELDS = /* GraphQL */ `
  fragment StockLineOwnFields on StockLineNode {
    locationId
    manufactureDate
    volumePerPack
    donor(storeId: $storeId) {
      __typename
      id
    }
    manufacturer(storeId: $storeId) {
      __typename
      id
    }
    campaign {
      __typename
      id
    }
    program {
      __typename
      id
    }
  }
`;

export const STOCK_LINES = /* GraphQL */ `
  query stockLines($storeId: String!, $filter: StockLineFilterInput, $page: PaginationInput) {
    stockLines(storeId: $storeId, filter: $filter, page: $page) {
      __typename
      ... on StockLineConnector {
        totalCount
        nodes {
          __typename
          id
          itemId
          item {
            __typename
            id
            code
            name
          }
          batch
          expiryDate
          packSize
          totalNumberOfPacks
          availableNumberOfPacks
          onHold
          ...StockLineOwnFields
        }
      }
    }
  }
  ${STOCK_LINE_OWN_FIELDS}
`;

/** Stock movements of a store (the bridge to DHIS2 computes period indicators from them). */
export const LEDGER = /* GraphQL */ `
  query ledger($storeId: String!, $filter: LedgerFilterInput) {
    ledger(storeId: $storeId, filter: $filter, sort: [{ key: datetime }]) {
      __typename
      ... on LedgerConnector {
        totalCount
        nodes {
          __typename
          id
          itemId
          stockLineId
          datetime
          quantity
          invoiceType
          stockLine {
            __typename
            id
            batch
            expiryDate
            item {
              __typename
              id
              code
              name
            }
          }
        }
      }
    }
  }
`;

export const STOCKTAKES = /* GraphQL */ `
  query stocktakes($storeId: String!, $filter: StocktakeFilterInput, $page: PaginationInput) {
    stocktakes(storeId: $storeId, filter: $filter, page: $page) {
      __typename
      ... on StocktakeConnector {
        totalCount
        nodes {
          __typename
          id
          stocktakeNumber
          status
          description
          comment
          lines {
            totalCount
            nodes {
              __typename
              id
              itemId
              batch
              expiryDate
              packSize
              location {
                __typename
                id
              }
              manufactureDate
              volumePerPack
              donorId
              manufacturer(storeId: $storeId) {
                __typename
                id
              }
              campaign {
                __typename
                id
              }
              program {
                __typename
                id
              }
              stockLine {
                __typename
                id
                totalNumberOfPacks
                batch
                expiryDate
                ...StockLineOwnFields
              }
              snapshotNumberOfPacks
              countedNumberOfPacks
            }
          }
        }
      }
    }
  }
  ${STOCK_LINE_OWN_FIELDS}
`;

/** Its result is StocktakeNode only: the schema types no insert error (a duplicate id is "Bad user input"). */
export const INSERT_STOCKTAKE = /* GraphQL */ `
  mutation insertStocktake($storeId: String!, $input: InsertStocktakeInput!) {
    insertStocktake(storeId: $storeId, input: $input) {
      __typename
      ... on StocktakeNode {
        id
        status
      }
    }
  }
`;

export const INSERT_STOCKTAKE_LINE = /* GraphQL */ `
  mutation insertStocktakeLine($storeId: String!, $input: InsertStocktakeLineInput!) {
    insertStocktakeLine(storeId: $storeId, input: $input) {
      __typename
      ... on StocktakeLineNode {
        id
      }
      ... on InsertStocktakeLineError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const UPDATE_STOCKTAKE = /* GraphQL */ `
  mutation updateStocktake($storeId: String!, $input: UpdateStocktakeInput!) {
    updateStocktake(storeId: $storeId, input: $input) {
      __typename
      ... on StocktakeNode {
        id
        status
      }
      ... on UpdateStocktakeError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

export const UPDATE_STOCKTAKE_LINE = /* GraphQL */ `
  mutation updateStocktakeLine($storeId: String!, $input: UpdateStocktakeLineInput!) {
    updateStocktakeLine(storeId: $storeId, input: $input) {
      __typename
      ... on StocktakeLineNode {
        id
      }
      ... on UpdateStocktakeLineError {
        error {
          __typename
          description
        }
      }
    }
  }
`;

/** Reason options (inventoryAdjustmentReasons is deprecated since Open mSupply 2.8.0 in their favour). */
export const REASON_OPTIONS = /* GraphQL */ `
  query reasonOptions($filter: ReasonOptionFilterInput) {
    reasonOptions(filter: $filter) {
      __typename
      ... on ReasonOptionConnector {
        totalCount
        nodes {
          __typename
          id
          reason
          type
          isActive
        }
      }
    }
  }
`;

/** Every document above, by operation name: what the schema test validates. */
export const OPERATIONS: Record<string, string> = {
  authToken: AUTH_TOKEN,
  refreshToken: REFRESH_TOKEN,
  me: ME,
  stores: STORES,
  names: NAMES,
  items: ITEMS,
  itemStats: ITEM_STATS,
  requisition: REQUISITION,
  requisitions: REQUISITIONS,
  insertRequestRequisition: INSERT_REQUEST_REQUISITION,
  insertRequestRequisitionLine: INSERT_REQUEST_REQUISITION_LINE,
  updateRequestRequisitionLine: UPDATE_REQUEST_REQUISITION_LINE,
  updateRequestRequisition: UPDATE_REQUEST_REQUISITION,
  insertResponseRequisition: INSERT_RESPONSE_REQUISITION,
  insertResponseRequisitionLine: INSERT_RESPONSE_REQUISITION_LINE,
  updateResponseRequisitionLine: UPDATE_RESPONSE_REQUISITION_LINE,
  updateResponseRequisition: UPDATE_RESPONSE_REQUISITION,
  shipments: SHIPMENTS,
  updateInboundShipment: UPDATE_INBOUND_SHIPMENT,
  updateInboundShipmentLine: UPDATE_INBOUND_SHIPMENT_LINE,
  stockLines: STOCK_LINES,
  ledger: LEDGER,
  stocktakes: STOCKTAKES,
  insertStocktake: INSERT_STOCKTAKE,
  insertStocktakeLine: INSERT_STOCKTAKE_LINE,
  updateStocktake: UPDATE_STOCKTAKE,
  reasonOptions: REASON_OPTIONS,
};
