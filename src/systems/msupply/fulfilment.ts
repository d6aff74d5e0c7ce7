import { BusinessRuleError, UnknownFacilityError } from '../../domain/errors.js';
import { shownValue } from '../../config/shown-value.js';
import { stableUuid } from '../../domain/ids.js';
import type { Delivery, DeliveryLine, Order } from '../../domain/index.js';
import type { DeliveryCapability, StepJournal, WriteResult } from '../../routing/ports.js';
import type { MsupplyApi, NameRow, ShipmentRow, StoreRow } from './api.js';
import { createdRequisition } from './created-requisition.js';
import { MSUPPLY, NAME_CODE_SYSTEM, SHIPMENT_SYSTEM, STORE_CODE_SYSTEM, deliveryLineId } from './identifiers.js';
import type { MsupplyProductMap } from './products.js';
import { orderComment, orderStatusOf, taggedOrderNumber } from './requisition-codec.js';
import type { MsupplySettings } from './settings.js';
import type { StoreDirectory } from './stores.js';
import { itemsByCode, lineRefused, requisitionLines, type RequisitionLine } from './requisition-lines.js';
import { writeOrLanded } from './landed-meanwhile.js';
import { settleLine } from './requisition-line-step.js';
import { tidy } from './packs.js';
import { awaitingTransfer } from './awaiting-transfer.js';

/**
 * An order raised outside Open mSupply (a facility's DHIS2 requisition) as a customer (response)
 * requisition in the supplying store, the way mSupply's "DHIS2 LMIS integration" makes one
 * (docs.msupply.org.nz `integration:dhis2_lmis_integration`): the customer is the name whose code
 * is the facility's DHIS2 org unit code (mSupply's Dhis2Code convention), the lines are the
 * requested units. insertResponseRequisition takes no reference (InsertResponseRequisitionInput
 * in the schema), so updateResponseRequisition sets `theirReference` to the order number (the
 * DHIS2 event UID) and tags the comment with its system. Ids derive from the order number, and
 * every step looks before it writes, so a retry after a crash or a lost answer finishes the same
 * requisition.
 */
export interface FulfilmentCapability {
  /** The order as a response requisition in its supplying store (`Order.supplier`, else msupply.supplierCode). */
  respond(order: Order, journal: StepJournal): Promise<WriteResult>;
  /** What `respond` would refuse that is knowable without writing: store, customer, items, quantities. */
  precheck(order: Order): Promise<void>;
  /**
   * Outbound shipments of a supplying store (its code; by default msupply.supplierCode) shipped at
   * or after `shippedAfter` against response requisitions the mediator made, as Deliveries to the
   * customer (its name code: the DHIS2 org unit code), with `basedOn` the order number; and the
   * latest shipped time among them (the next high-water mark).
   */
  shipments(shippedAfter?: string, storeCode?: string): Promise<{ deliveries: Delivery[]; highWater?: string }>;
  /** msupply.supplierCode: the supplying store when routing.json names none. */
  defaultStore(): string | undefined;
  /** The code of the store with this id (a crosswalk's Open mSupply record), or undefined. */
  storeCode(storeId: string): Promise<string | undefined>;
  /** Why a store code cannot supply (unknown, or the integration user may not act in it), or undefined. */
  cannotSupply(storeCode: string): Promise<string | undefined>;
  /**
   * The customer's own store when the customer of an outbound shipment is an Open mSupply store,
   * and the inbound shipment Open mSupply's transfer made there from it (undefined: the customer
   * has no store, as a DHIS2-only facility has none). `reason` says why it cannot be confirmed.
   */
  receivingStore(shipmentId: string, supplierStoreId: string): Promise<ReceivingStore | undefined>;
  /**
   * A consignment the facility received (its lines as recorded in DHIS2; `identifier` the outbound
   * shipment, `supplier.id` its store) confirmed on the inbound shipment of the customer's own
   * store, as that store's staff would: DELIVERED, the packs that arrived, RECEIVED (the delivery
   * capability's confirmation, which answers the same confirmation again as done).
   */
  confirmReceipt(receipt: Delivery, journal: StepJournal): Promise<WriteResult>;
}

export interface ReceivingStore {
  store: { id: string; code: string };
  inboundId?: string;
  /** Why the inbound shipment cannot be confirmed; `waiting`: not there yet, worth retrying. */
  reason?: string;
  waiting?: boolean;
}

/** Outbound statuses from SHIPPED on (InvoiceNodeStatus): the goods have left the store. */
const SHIPPED = ['SHIPPED', 'DELIVERED', 'RECEIVED', 'VERIFIED'];

export interface FulfilmentDeps {
  /** The connector's inbound shipment confirmation (deliveries.ts), for receipts at a customer's own store. */
  deliveries: () => DeliveryCapability;
  api: MsupplyApi;
  stores: StoreDirectory;
  products: () => MsupplyProductMap;
  settings: () => MsupplySettings;
}

/** The response requisition an order becomes in a supplying store. */
export function responseRequisitionIdFor(order: Pick<Order, 'orderNumber'>, storeId: string): string {
  return stableUuid(MSUPPLY, 'response-requisition', storeId, order.orderNumber.system, order.orderNumber.value);
}

const responseLineIdFor = (requisitionId: string, itemId: string) =>
  stableUuid(MSUPPLY, 'response-requisition-line', requisitionId, itemId);

interface Plan {
  store: StoreRow;
  customer: NameRow;
  lines: RequisitionLine[];
}

export function createFulfilmentCapability(deps: FulfilmentDeps): FulfilmentCapability {
  const { api, stores } = deps;

  const supplyingStore = async (order: Pick<Order, 'supplier'>): Promise<StoreRow> => {
    if (order.supplier?.id || order.supplier?.identifier) return stores.resolve(order.supplier, 'Order.supplier');
    const code = deps.settings().supplierCode;
    if (!code)
      throw new BusinessRuleError(
        'the order names no supplier and msupply.supplierCode is not set: a response requisition needs the supplying store',
        'Order.supplier',
      );
    return stores
      .resolve({ identifier: { system: STORE_CODE_SYSTEM, value: code } }, 'Order.supplier')
      .catch((err: unknown) => {
        if (!(err instanceof UnknownFacilityError)) throw err;
        // the code is the setting's, not the order's: quoted only as a code, so that a password
        // pasted into msupply.supplierCode never reaches the OperationOutcome and the log
        throw new BusinessRuleError(
          `the order names no supplier and msupply.supplierCode ${shownValue(code, 'code')} is not an Open mSupply store (by store code)`,
          'Order.supplier',
        );
      });
  };

  const customerOf = async (order: Order, store: StoreRow): Promise<NameRow> => {
    const code = order.facility.identifier?.value;
    const facility = order.facility.display ?? order.facility.id ?? '(unnamed)';
    if (!code)
      throw new BusinessRuleError(
        `facility ${facility} has no code: Open mSupply names a facility by its DHIS2 org unit code`,
        'Order.facility',
      );
    const name = (await api.names(store.id, { code: { equalTo: code } })).find((n) => n.code === code);
    if (!name)
      throw new BusinessRuleError(
        `facility ${code} (${facility}) is not a name in Open mSupply store ${store.code}: give its customer the org unit code as name code`,
        'Order.facility',
      );
    if (!name.isCustomer)
      throw new BusinessRuleError(
        `${code} is not a customer of Open mSupply store ${store.code} (OtherPartyNotACustomer)`,
        'Order.facility',
      );
    return name;
  };

  const plan = async (order: Order): Promise<Plan> => {
    const store = await supplyingStore(order);
    const products = deps.products();
    const codes = order.lines.map((l, i) => products.itemCode(l.product, `Order.lines[${i}].product`));
    const [customer, items] = await Promise.all([
      customerOf(order, store),
      itemsByCode(api, store.id, [...new Set(codes)]),
    ]);
    const lines = requisitionLines(order, codes, items, store, products);
    return { store, customer, lines };
  };

  /** An outbound shipment as the delivery of the order its requisition carries, or undefined (not ours). */
  const toDelivery = (row: ShipmentRow, store: StoreRow, customer: NameRow | undefined): Delivery | undefined => {
    const orderNumber = taggedOrderNumber(row.requisition?.comment);
    if (!orderNumber || !customer) return undefined;
    const identifier = { system: SHIPMENT_SYSTEM, value: row.id };
    const products = deps.products();
    const lines = row.lines.nodes.flatMap((l): DeliveryLine[] => {
      const product = products.productOf(l.itemCode, l.itemName);
      if (!product || l.type !== 'STOCK_OUT') return [];
      const batch = l.batch ?? undefined;
      return [
        {
          lineId: deliveryLineId(identifier, product, batch),
          product,
          // units, as requisitions count: packs × pack size
          quantityShipped: {
            value: tidy((l.shippedNumberOfPacks ?? l.numberOfPacks) * l.packSize),
            unit: 'dispensing-unit',
          },
          lot: batch ? { number: batch, expiry: l.expiryDate ?? undefined } : undefined,
        },
      ];
    });
    return {
      identifier,
      status: 'in-progress',
      basedOn: { orderNumber },
      destination: { identifier: { system: NAME_CODE_SYSTEM, value: customer.code }, display: customer.name },
      supplier: { id: store.id, identifier: { system: STORE_CODE_SYSTEM, value: store.code } },
      occurredAt: row.shippedDatetime ?? undefined,
      lines,
      source: { system: MSUPPLY, id: row.id },
    };
  };

  const storeOfCode = (code?: string) =>
    code
      ? stores.resolve({ identifier: { system: STORE_CODE_SYSTEM, value: code } }, 'Order.supplier')
      : supplyingStore({});

  const receivingStore = async (shipmentId: string, supplierStoreId: string): Promise<ReceivingStore | undefined> => {
    const [outbound] = await api.shipments(supplierStoreId, {
      type: { equalTo: 'OUTBOUND_SHIPMENT' },
      id: { equalTo: shipmentId },
    });
    const store = outbound?.otherParty?.store;
    if (!store) return undefined;
    const me = await stores.me();
    if (!me.stores.some((s) => s.id === store.id && !s.isDisabled))
      return {
        store,
        reason: `the customer is Open mSupply store ${store.code}, which the integration user '${me.username}' may not act in`,
      };
    // the transfer processor links the inbound to the outbound (invoice.linked_invoice_id,
    // server/service/src/processors/transfer/invoice in msupply-foundation/open-msupply)
    const [inbound] = await api.shipments(store.id, {
      type: { equalTo: 'INBOUND_SHIPMENT' },
      linkedInvoiceId: { equalTo: shipmentId },
    });
    return inbound
      ? { store, inboundId: inbound.id }
      : { store, waiting: true, reason: `store ${store.code} has no inbound shipment from ${shipmentId} yet` };
  };

  return {
    defaultStore: () => deps.settings().supplierCode,
    storeCode: async (id) => (await stores.byId(id))?.code,
    async cannotSupply(code) {
      try {
        await storeOfCode(code);
        return undefined;
      } catch (err) {
        if (err instanceof BusinessRuleError) return err.message;
        throw err;
      }
    },
    receivingStore,
    async confirmReceipt(receipt, journal) {
      const supplierId = receipt.supplier?.id;
      if (!supplierId) throw new BusinessRuleError('the receipt names no supplying store', 'Delivery.supplier');
      const receiving = await receivingStore(receipt.identifier.value, supplierId);
      if (!receiving)
        throw new BusinessRuleError(
          `the customer of shipment ${receipt.identifier.value} is no Open mSupply store: there is no inbound shipment to confirm`,
          'Delivery.destination',
        );
      // the transfer runs on the receiving store's site after sync: the outbox holds it, uncharged, for a bound
      if (receiving.waiting) throw await awaitingTransfer(journal, receiving.reason!);
      if (receiving.reason) throw new BusinessRuleError(receiving.reason, 'Delivery.destination');
      return deps.deliveries().confirm(
        {
          ...receipt,
          id: receiving.inboundId,
          identifier: { system: SHIPMENT_SYSTEM, value: receiving.inboundId! },
          destination: {
            id: receiving.store.id,
            identifier: { system: STORE_CODE_SYSTEM, value: receiving.store.code },
          },
        },
        journal,
      );
    },
    async shipments(shippedAfter, storeCode) {
      const store = await storeOfCode(storeCode);
      const rows = await api.shipments(store.id, {
        type: { equalTo: 'OUTBOUND_SHIPMENT' },
        status: { equalAny: SHIPPED },
        ...(shippedAfter ? { shippedDatetime: { afterOrEqualTo: shippedAfter } } : {}),
      });
      const names = new Map<string, Promise<NameRow | undefined>>();
      const nameOf = (id: string) => {
        if (!names.has(id))
          names.set(
            id,
            api.names(store.id, { id: { equalTo: id } }).then((n) => n[0]),
          );
        return names.get(id)!;
      };
      const deliveries: Delivery[] = [];
      for (const row of rows) {
        const d = toDelivery(row, store, await nameOf(row.otherPartyId));
        if (d && d.lines.length) deliveries.push(d);
      }
      const highWater = rows
        .map((r) => r.shippedDatetime)
        .filter((x): x is string => !!x)
        .sort()
        .at(-1);
      return { deliveries, highWater };
    },
    async respond(order, journal) {
      const p = await plan(order);
      const storeId = p.store.id;
      const id = responseRequisitionIdFor(order, storeId);
      const s = deps.settings();
      const there = async () => ((await api.requisition(storeId, id)) ? { id } : undefined);
      await journal.run('insert-response', async () => {
        if (await there()) return { id };
        // refused because another attempt's insert landed first: that is this write (landed-meanwhile.ts)
        return writeOrLanded(async () => {
          await api.insertResponseRequisition(storeId, {
            id,
            otherPartyId: p.customer.id,
            maxMonthsOfStock: s.maxMonthsOfStock,
            minMonthsOfStock: s.minMonthsOfStock,
          });
          return { id };
        }, there);
      });
      await journal.run('reference', async () => {
        await api.updateResponseRequisition(storeId, {
          id,
          theirReference: order.orderNumber.value,
          comment: orderComment(order.orderNumber),
        });
        return { id };
      });
      for (const [i, line] of p.lines.entries()) {
        await journal.run(`line:${line.itemCode}`, () =>
          settleLine(api, storeId, id, {
            kind: 'response requisition',
            itemId: line.item.id,
            newId: responseLineIdFor(id, line.item.id),
            editable: (status) => status !== 'FINALISED',
            insert: (lineId) =>
              api.insertResponseRequisitionLine(storeId, { id: lineId, itemId: line.item.id, requisitionId: id }),
            update: (lineId) =>
              api.updateResponseRequisitionLine(storeId, { id: lineId, requestedQuantity: line.units }),
            quantity: line.units,
            refused: (err) => lineRefused(err, `Order.lines[${i}]`, line.itemCode, p.store),
          }),
        );
      }
      const now = await createdRequisition(api, storeId, id, 'response requisition');
      return { system: MSUPPLY, ids: { requisition: id }, status: orderStatusOf(now.status) };
    },
    async precheck(order) {
      await plan(order);
    },
  };
}
