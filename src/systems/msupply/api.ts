import { malformedAnswer } from '../../upstream/errors.js';
import type { MsupplyClient } from './client.js';
import { makeMsupplyError } from './errors.js';
import { MSUPPLY } from './identifiers.js';
import * as Q from './operations.js';

/**
 * One small function per Open mSupply operation the connector uses, typed by what it selects
 * (operations.ts). Lists are read page by page (`page: {first, offset}`; the server sets no
 * maximum, server/graphql/core/src/pagination.rs, but one huge page is one huge answer).
 */
export interface UserStore {
  id: string;
  code: string;
  name: string;
  nameId: string;
  isDisabled: boolean;
}
export interface Me {
  userId: string;
  username: string;
  defaultStore: Omit<UserStore, 'isDisabled'> | null;
  stores: UserStore[];
}
export interface StoreRow {
  id: string;
  code: string;
  storeName: string;
  siteId: number;
}
export interface NameRow {
  id: string;
  code: string;
  name: string;
  isCustomer: boolean;
  isSupplier: boolean;
  store: { id: string; code: string } | null;
}
export interface ItemRow {
  id: string;
  code: string;
  name: string;
  defaultPackSize: number;
  unitName: string | null;
}
/** An item's figures in a store (ItemStatsNode): units, AMC in units per month, months of stock or null. */
export interface ItemStatsRow {
  id: string;
  stats: { stockOnHand: number; averageMonthlyConsumption: number; monthsOfStockOnHand: number | null };
}
export interface RequisitionLineRow {
  id: string;
  itemId: string;
  requestedQuantity: number;
  supplyQuantity: number;
  item: { id: string; code: string; name: string; defaultPackSize: number };
}
export interface RequisitionRow {
  id: string;
  requisitionNumber: number;
  type: 'REQUEST' | 'RESPONSE' | 'IMPREST' | 'STOCK_HISTORY';
  status: 'DRAFT' | 'NEW' | 'SENT' | 'FINALISED';
  theirReference: string | null;
  comment: string | null;
  createdDatetime: string;
  sentDatetime: string | null;
  finalisedDatetime: string | null;
  /** A date (yyyy-MM-dd), or null. */
  expectedDeliveryDate?: string | null;
  otherPartyId: string;
  otherPartyName: string;
  otherParty: { id: string; store: { id: string; code: string } | null } | null;
  lines: { totalCount: number; nodes: RequisitionLineRow[] };
  /**
   * The requisition linked to this one, when asked for: a response's is the request Open
   * mSupply's transfer processor made it from (server/service/src/processors/transfer/requisition
   * in msupply-foundation/open-msupply), null for one made in the supplying store itself.
   */
  linkedRequisition?: RequisitionRow | null;
}

/** What a shipment reads of its requisition: what names the order it fulfils. */
export interface ShipmentRequisition extends Pick<
  RequisitionRow,
  'id' | 'type' | 'requisitionNumber' | 'theirReference' | 'comment'
> {
  linkedRequisition?: Pick<RequisitionRow, 'id' | 'type' | 'requisitionNumber' | 'theirReference' | 'comment'> | null;
}

export interface ShipmentLineRow {
  id: string;
  itemId: string;
  itemCode: string;
  itemName: string;
  batch: string | null;
  expiryDate: string | null;
  packSize: number;
  numberOfPacks: number;
  shippedNumberOfPacks: number | null;
  type: string;
}
export interface ShipmentRow {
  id: string;
  invoiceNumber: number;
  type: string;
  status: 'NEW' | 'ALLOCATED' | 'PICKED' | 'SHIPPED' | 'DELIVERED' | 'RECEIVED' | 'VERIFIED' | 'CANCELLED';
  theirReference: string | null;
  otherPartyId: string;
  otherPartyName: string;
  otherParty: { id: string; store: { id: string; code: string } | null } | null;
  createdDatetime: string;
  shippedDatetime: string | null;
  deliveredDatetime: string | null;
  receivedDatetime: string | null;
  verifiedDatetime: string | null;
  /**
   * The requisition the shipment was made for: an inbound shipment's is the receiving store's
   * request, an outbound one's the supplying store's response, with the request it was made from
   * (InvoiceNode.requisition in Open mSupply's schema).
   */
  requisition: ShipmentRequisition | null;
  lines: { totalCount: number; nodes: ShipmentLineRow[] };
  /**
   * The shipment linked to this one, when asked for: an outbound shipment's is the inbound
   * shipment Open mSupply's transfer processor made from it in the receiving store
   * (server/service/src/processors/transfer/invoice in msupply-foundation/open-msupply), null
   * before it is shipped or when the customer has no store.
   */
  linkedShipment?: ShipmentRow | null;
}

export interface StockLineRow {
  id: string;
  itemId: string;
  item: { id: string; code: string; name: string };
  batch: string | null;
  expiryDate: string | null;
  packSize: number;
  totalNumberOfPacks: number;
  availableNumberOfPacks: number;
  onHold: boolean;
  /** Kept by a count only if its stocktake line is given them (stock.ts stockLineAsItIs). */
  locationId?: string | null;
  manufactureDate?: string | null;
  volumePerPack?: number;
  donor?: { id: string } | null;
  manufacturer?: { id: string } | null;
  campaign?: { id: string } | null;
  program?: { id: string } | null;
}
/** One stock movement (LedgerNode): signed units, the transaction kind, the batch it moved. */
export interface LedgerRow {
  id: string;
  itemId: string;
  stockLineId: string | null;
  datetime: string;
  quantity: number;
  invoiceType: string;
  stockLine: {
    id: string;
    batch: string | null;
    expiryDate: string | null;
    item: { id: string; code: string; name: string };
  } | null;
}
export interface StocktakeRow {
  id: string;
  stocktakeNumber: number;
  status: 'NEW' | 'FINALISED';
  description: string | null;
  comment: string | null;
  lines: {
    nodes: {
      id: string;
      itemId: string;
      /** The batch and expiry the line's insert gave (none if an earlier release's by its stock line). */
      batch: string | null;
      expiryDate: string | null;
      /** The pack size the line's insert gave (none if an earlier release's by its stock line). */
      packSize: number | null;
      /**
       * The line's own location, manufacture date, volume per pack, donor, manufacturer, campaign
       * and program: what finalise writes over the stock line's (stocktake-top-up.ts).
       */
      location?: { id: string } | null;
      manufactureDate?: string | null;
      volumePerPack?: number;
      donorId?: string | null;
      manufacturer?: { id: string } | null;
      campaign?: { id: string } | null;
      program?: { id: string } | null;
      /** The stock line's packs now (a snapshot that differs is refused at finalise) and its own fields. */
      stockLine:
        | ({ id: string; totalNumberOfPacks: number } & Partial<
            Pick<
              StockLineRow,
              | 'batch'
              | 'expiryDate'
              | 'locationId'
              | 'manufactureDate'
              | 'volumePerPack'
              | 'donor'
              | 'manufacturer'
              | 'campaign'
              | 'program'
            >
          >)
        | null;
      snapshotNumberOfPacks: number;
      countedNumberOfPacks: number | null;
    }[];
  };
}

/**
 * A stocktake line's fields an update sets (UpdateStocktakeLineInput: batch a String, the rest
 * NullableStringUpdate / NullableDateUpdate, volume per pack a Float).
 */
export interface StocktakeLineTopUp {
  batch?: string;
  expiryDate?: { value: string };
  location?: { value: string };
  manufactureDate?: { value: string };
  volumePerPack?: number;
  donorId?: { value: string };
  manufacturerId?: { value: string };
  campaignId?: { value: string };
  programId?: { value: string };
}

export interface AdjustmentReasonRow {
  id: string;
  reason: string;
  type: 'POSITIVE_INVENTORY_ADJUSTMENT' | 'NEGATIVE_INVENTORY_ADJUSTMENT';
  isActive: boolean;
}

const PAGE = 500;

type Connector<T> = { __typename: string; totalCount: number; nodes: T[] };

/** A JSON value's shape in words, never its text (it may carry what an upstream should not have sent). */
function shapeOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without its nodes' : `a ${typeof value}`;
}

/**
 * The list (`nodes`) `field` answered, as Open mSupply's schema promises one. A gateway or a
 * server of another version answering JSON of another shape is the upstream's fault, said as a
 * 502 naming the field, not a TypeError further on (a 500 "internal error" of ours).
 */
function listOf<T>(field: string, value: unknown): Connector<T> {
  const list = value as Connector<T> | null | undefined;
  if (list && typeof list === 'object' && Array.isArray(list.nodes)) return list;
  throw malformedAnswer(
    MSUPPLY,
    `${field} answered ${shapeOf(value)} where Open mSupply's schema has a list (nodes)`,
    makeMsupplyError,
  );
}

async function allPages<T>(
  field: string,
  fetch: (page: { first: number; offset: number }) => Promise<Connector<T>>,
): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = listOf<T>(field, await fetch({ first: PAGE, offset }));
    out.push(...page.nodes);
    if (page.nodes.length < PAGE || out.length >= page.totalCount) return out;
  }
}

export function createMsupplyApi(client: MsupplyClient) {
  return {
    async me(signal?: AbortSignal): Promise<Me> {
      const data = await client.request<{
        me: {
          __typename: string;
          userId: string;
          username: string;
          defaultStore: Me['defaultStore'];
          stores: { nodes: UserStore[] };
        };
      }>({ query: Q.ME, signal });
      const me = data.me as unknown;
      if (!me || typeof me !== 'object' || Array.isArray(me))
        throw malformedAnswer(
          MSUPPLY,
          `me answered ${shapeOf(me)} where Open mSupply's schema has the user`,
          makeMsupplyError,
        );
      return {
        userId: data.me.userId,
        username: data.me.username,
        defaultStore: data.me.defaultStore,
        stores: listOf<UserStore>('me.stores', data.me.stores).nodes,
      };
    },
    stores(filter: Record<string, unknown> = {}): Promise<StoreRow[]> {
      return allPages(
        'stores',
        async (page) =>
          (await client.request<{ stores: Connector<StoreRow> }>({ query: Q.STORES, variables: { filter, page } }))
            .stores,
      );
    },
    names(storeId: string, filter: Record<string, unknown> = {}): Promise<NameRow[]> {
      return allPages(
        'names',
        async (page) =>
          (
            await client.request<{ names: Connector<NameRow> }>({
              query: Q.NAMES,
              variables: { storeId, filter, page },
            })
          ).names,
      );
    },
    items(storeId: string, filter: Record<string, unknown> = {}): Promise<ItemRow[]> {
      return allPages(
        'items',
        async (page) =>
          (
            await client.request<{ items: Connector<ItemRow> }>({
              query: Q.ITEMS,
              variables: { storeId, filter, page },
            })
          ).items,
      );
    },
    /** The store's figures for these items (one paged query), by item id. */
    async itemStats(storeId: string, itemIds: string[]): Promise<Map<string, ItemStatsRow['stats']>> {
      if (!itemIds.length) return new Map();
      const rows = await allPages(
        'itemStats',
        async (page) =>
          (
            await client.request<{ items: Connector<ItemStatsRow> }>({
              query: Q.ITEM_STATS,
              variables: { storeId, filter: { id: { equalAny: itemIds } }, page },
            })
          ).items,
      );
      return new Map(rows.map((r) => [r.id, r.stats]));
    },
    /**
     * The requisition with this id in this store, or undefined (RecordNotFound). `linked`: with
     * the requisition linked to it (a response's request), as `linkedRequisition`.
     */
    async requisition(storeId: string, id: string, linked = false): Promise<RequisitionRow | undefined> {
      const data = await client.request<{ requisition: RequisitionRow & { __typename: string } }>({
        query: Q.REQUISITION,
        variables: { storeId, id, linked },
      });
      const answer = data.requisition as unknown;
      if (!answer || typeof answer !== 'object' || Array.isArray(answer))
        throw malformedAnswer(
          MSUPPLY,
          `requisition answered ${shapeOf(answer)} where Open mSupply's schema has a requisition or its error`,
          makeMsupplyError,
        );
      return data.requisition.__typename === 'RequisitionNode' ? data.requisition : undefined;
    },
    /** A store's requisitions; `linked` as for `requisition`. */
    requisitions(storeId: string, filter: Record<string, unknown> = {}, linked = false): Promise<RequisitionRow[]> {
      return allPages(
        'requisitions',
        async (page) =>
          (
            await client.request<{ requisitions: Connector<RequisitionRow> }>({
              query: Q.REQUISITIONS,
              variables: { storeId, filter, page, linked },
            })
          ).requisitions,
      );
    },
    async insertRequestRequisition(
      storeId: string,
      input: {
        id: string;
        otherPartyId: string;
        maxMonthsOfStock: number;
        minMonthsOfStock: number;
        theirReference?: string;
        comment?: string;
        expectedDeliveryDate?: string;
      },
    ) {
      return (
        await client.request<{ insertRequestRequisition: { id: string; status: string } }>({
          query: Q.INSERT_REQUEST_REQUISITION,
          variables: { storeId, input },
        })
      ).insertRequestRequisition;
    },
    async insertRequestRequisitionLine(storeId: string, input: { id: string; itemId: string; requisitionId: string }) {
      return (
        await client.request<{ insertRequestRequisitionLine: { id: string } }>({
          query: Q.INSERT_REQUEST_REQUISITION_LINE,
          variables: { storeId, input },
        })
      ).insertRequestRequisitionLine;
    },
    async updateRequestRequisitionLine(
      storeId: string,
      input: { id: string; requestedQuantity?: number; comment?: string },
    ) {
      // setting a quantity is idempotent: the same body twice leaves the same line
      return (
        await client.request<{ updateRequestRequisitionLine: { id: string } }>({
          query: Q.UPDATE_REQUEST_REQUISITION_LINE,
          variables: { storeId, input },
          retry: true,
        })
      ).updateRequestRequisitionLine;
    },
    async deleteRequestRequisitionLine(storeId: string, input: { id: string }) {
      return (
        await client.request<{ deleteRequestRequisitionLine: { id: string } }>({
          query: Q.DELETE_REQUEST_REQUISITION_LINE,
          variables: { storeId, input },
        })
      ).deleteRequestRequisitionLine;
    },
    async updateRequestRequisition(
      storeId: string,
      input: { id: string; status?: 'SENT'; theirReference?: string; comment?: string },
    ) {
      return (
        await client.request<{ updateRequestRequisition: { id: string; status: string } }>({
          query: Q.UPDATE_REQUEST_REQUISITION,
          variables: { storeId, input },
        })
      ).updateRequestRequisition;
    },
    async insertResponseRequisition(
      storeId: string,
      input: { id: string; otherPartyId: string; maxMonthsOfStock: number; minMonthsOfStock: number },
    ) {
      return (
        await client.request<{ insertResponseRequisition: { id: string; status: string } }>({
          query: Q.INSERT_RESPONSE_REQUISITION,
          variables: { storeId, input },
        })
      ).insertResponseRequisition;
    },
    async insertResponseRequisitionLine(storeId: string, input: { id: string; itemId: string; requisitionId: string }) {
      return (
        await client.request<{ insertResponseRequisitionLine: { id: string } }>({
          query: Q.INSERT_RESPONSE_REQUISITION_LINE,
          variables: { storeId, input },
        })
      ).insertResponseRequisitionLine;
    },
    async updateResponseRequisitionLine(storeId: string, input: { id: string; requestedQuantity?: number }) {
      // setting a quantity is idempotent: the same body twice leaves the same line
      return (
        await client.request<{ updateResponseRequisitionLine: { id: string } }>({
          query: Q.UPDATE_RESPONSE_REQUISITION_LINE,
          variables: { storeId, input },
          retry: true,
        })
      ).updateResponseRequisitionLine;
    },
    async updateResponseRequisition(storeId: string, input: { id: string; theirReference?: string; comment?: string }) {
      // setting the reference and comment is idempotent (no status change here)
      return (
        await client.request<{ updateResponseRequisition: { id: string; status: string } }>({
          query: Q.UPDATE_RESPONSE_REQUISITION,
          variables: { storeId, input },
          retry: true,
        })
      ).updateResponseRequisition;
    },
    async updateNameProperties(storeId: string, input: { id: string; properties: string }) {
      // setting property values is idempotent: a retry sets the same values again
      return (
        await client.request<{ updateNameProperties: { id: string; properties: string } }>({
          query: Q.UPDATE_NAME_PROPERTIES,
          variables: { storeId, input },
          retry: true,
        })
      ).updateNameProperties;
    },
    /** Shipments (invoices) of a store: type INBOUND_SHIPMENT or OUTBOUND_SHIPMENT in the filter. */
    /** A store's shipments; `linked`: each with the shipment linked to it, as `linkedShipment`. */
    shipments(storeId: string, filter: Record<string, unknown> = {}, linked = false): Promise<ShipmentRow[]> {
      return allPages(
        'shipments',
        async (page) =>
          (
            await client.request<{ invoices: Connector<ShipmentRow> }>({
              query: Q.SHIPMENTS,
              variables: { storeId, filter, page, linked },
            })
          ).invoices,
      );
    },
    async updateInboundShipment(storeId: string, input: { id: string; status: 'DELIVERED' | 'RECEIVED' | 'VERIFIED' }) {
      return (
        await client.request<{ updateInboundShipment: { id: string; status: string } }>({
          query: Q.UPDATE_INBOUND_SHIPMENT,
          variables: { storeId, input },
        })
      ).updateInboundShipment;
    },
    async updateInboundShipmentLine(storeId: string, input: { id: string; numberOfPacks: number }) {
      // setting a count is idempotent: the same body twice leaves the same line
      return (
        await client.request<{ updateInboundShipmentLine: { id: string } }>({
          query: Q.UPDATE_INBOUND_SHIPMENT_LINE,
          variables: { storeId, input },
          retry: true,
        })
      ).updateInboundShipmentLine;
    },
    stockLines(storeId: string, filter: Record<string, unknown> = {}): Promise<StockLineRow[]> {
      return allPages(
        'stockLines',
        async (page) =>
          (
            await client.request<{ stockLines: Connector<StockLineRow> }>({
              query: Q.STOCK_LINES,
              variables: { storeId, filter, page },
            })
          ).stockLines,
      );
    },
    /** A store's stock movements (the schema's ledger query is not paged), oldest first. */
    async ledger(storeId: string, filter: Record<string, unknown> = {}): Promise<LedgerRow[]> {
      const data = await client.request<{ ledger: Connector<LedgerRow> }>({
        query: Q.LEDGER,
        variables: { storeId, filter },
      });
      return listOf<LedgerRow>('ledger', data.ledger).nodes;
    },
    async stocktake(storeId: string, id: string): Promise<StocktakeRow | undefined> {
      const data = await client.request<{ stocktakes: Connector<StocktakeRow> }>({
        query: Q.STOCKTAKES,
        variables: { storeId, filter: { id: { equalTo: id } } },
      });
      return listOf<StocktakeRow>('stocktakes', data.stocktakes).nodes.find((x) => x.id === id);
    },
    async insertStocktake(
      storeId: string,
      input: { id: string; createBlankStocktake: true; description?: string; comment?: string },
    ) {
      return (
        await client.request<{ insertStocktake: { id: string; status: string } }>({
          query: Q.INSERT_STOCKTAKE,
          variables: { storeId, input },
        })
      ).insertStocktake;
    },
    async insertStocktakeLine(
      storeId: string,
      input: {
        id: string;
        stocktakeId: string;
        stockLineId?: string;
        itemId?: string;
        batch?: string;
        expiryDate?: string;
        packSize?: number;
        location?: { value: string };
        manufactureDate?: string;
        volumePerPack?: number;
        donorId?: string;
        manufacturerId?: string;
        campaignId?: string;
        programId?: string;
        countedNumberOfPacks: number;
        reasonOptionId?: string;
      },
    ) {
      return (
        await client.request<{ insertStocktakeLine: { id: string } }>({
          query: Q.INSERT_STOCKTAKE_LINE,
          variables: { storeId, input },
        })
      ).insertStocktakeLine;
    },
    async updateStocktake(storeId: string, input: { id: string; status: 'FINALISED'; stocktakeDate?: string }) {
      return (
        await client.request<{ updateStocktake: { id: string; status: string } }>({
          query: Q.UPDATE_STOCKTAKE,
          variables: { storeId, input },
        })
      ).updateStocktake;
    },
    /** Fields left out keep their value (stocktake_line/update/generate.rs). */
    async updateStocktakeLine(
      storeId: string,
      input: {
        id: string;
        snapshotNumberOfPacks?: number;
        countedNumberOfPacks?: number;
        packSize?: number;
        reasonOptionId?: string;
      } & StocktakeLineTopUp,
    ) {
      return (
        await client.request<{ updateStocktakeLine: { id: string } }>({
          query: Q.UPDATE_STOCKTAKE_LINE,
          variables: { storeId, input },
        })
      ).updateStocktakeLine;
    },
    /** Active inventory adjustment reasons (reason options of the two adjustment types). */
    async adjustmentReasons(): Promise<AdjustmentReasonRow[]> {
      const filter = {
        isActive: true,
        type: { equalAny: ['POSITIVE_INVENTORY_ADJUSTMENT', 'NEGATIVE_INVENTORY_ADJUSTMENT'] },
      };
      const data = await client.request<{ reasonOptions: Connector<AdjustmentReasonRow> }>({
        query: Q.REASON_OPTIONS,
        variables: { filter },
      });
      return listOf<AdjustmentReasonRow>('reasonOptions', data.reasonOptions).nodes;
    },
  };
}

export type MsupplyApi = ReturnType<typeof createMsupplyApi>;
