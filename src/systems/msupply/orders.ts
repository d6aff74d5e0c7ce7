import { BusinessRuleError, ConflictError } from '../../domain/errors.js';
import { shownValue } from '../../config/shown-value.js';
import { inRanges } from '../../domain/instant-range.js';
import type { Order } from '../../domain/index.js';
import type { OrderCapability, SearchCriteria, StepJournal, WriteResult } from '../../routing/ports.js';
import type { MsupplyApi, NameRow, RequisitionRow, StoreRow } from './api.js';
import { createdRequisition } from './created-requisition.js';
import { MSUPPLY, requisitionIdFor, requisitionLineIdFor } from './identifiers.js';
import type { MsupplyProductMap } from './products.js';
import { decodeRequisition, formerResponseLineIds, orderComment, orderStatusOf } from './requisition-codec.js';
import type { MsupplySettings } from './settings.js';
import type { StoreDirectory } from './stores.js';
import { orderChanges } from './order-change.js';
import { refuseBarredSystem } from '../barred-system.js';
import { itemsByCode, lineRefused, requisitionLines, type RequisitionLine } from './requisition-lines.js';
import { writeOrLanded } from './landed-meanwhile.js';
import { settleLine } from './requisition-line-step.js';
import { dropFormerLines } from './former-lines.js';

/**
 * SupplyRequest → an Open mSupply request requisition (an internal order from the facility's
 * store to its supplier): insertRequestRequisition, one insertRequestRequisitionLine per item,
 * updateRequestRequisitionLine with the requested quantity in units, then
 * updateRequestRequisition(status: SENT), after which Open mSupply's transfer processor creates
 * the supplier's response requisition (server/service/src/processors/transfer/requisition in
 * msupply-foundation/open-msupply). A search naming the supplier reads those response
 * requisitions (the warehouse's view), each read as the request it was made from. Each step is journaled, and each looks before it writes (the
 * ids are derived from the order number), so a retry after a crash or a lost answer finishes the
 * same requisition instead of starting a second one.
 */
export interface OrderDeps {
  api: MsupplyApi;
  stores: StoreDirectory;
  products: () => MsupplyProductMap;
  settings: () => MsupplySettings;
}

interface Plan {
  store: StoreRow;
  supplier: NameRow;
  lines: RequisitionLine[];
}

export function createOrderCapability(deps: OrderDeps): OrderCapability {
  const { api, stores } = deps;

  const supplierOf = async (order: Order, store: StoreRow): Promise<NameRow> => {
    let filter: Record<string, unknown>;
    let what: string;
    if (order.supplier?.id || order.supplier?.identifier) {
      // the supplier need not be a store the integration user acts in: only a name visible in the facility's store
      const supplying = await stores.find(order.supplier);
      if (!supplying)
        throw new BusinessRuleError(
          `supplier ${order.supplier.id ? `Location/${order.supplier.id}` : order.supplier.identifier!.value} is not an Open mSupply store`,
          'Order.supplier',
        );
      filter = { storeCode: { equalTo: supplying.code } };
      what = `store ${supplying.code}`;
    } else {
      const code = deps.settings().supplierCode;
      if (!code)
        throw new BusinessRuleError(
          'the order names no supplier and msupply.supplierCode is not set: Open mSupply needs a supplier for a request requisition',
          'Order.supplier',
        );
      filter = { code: { equalTo: code } };
      what = `name ${shownValue(code, 'code')} (msupply.supplierCode)`;
    }
    const names = await api.names(store.id, filter);
    const name = names[0];
    if (!name)
      throw new BusinessRuleError(
        `supplier ${what} is not visible in Open mSupply store ${store.code}`,
        'Order.supplier',
      );
    if (!name.isSupplier)
      throw new BusinessRuleError(
        `${what} is not a supplier of Open mSupply store ${store.code} (OtherPartyNotASupplier)`,
        'Order.supplier',
      );
    return name;
  };

  const plan = async (order: Order): Promise<Plan> => {
    const store = await stores.resolve(order.facility, 'Order.facility');
    const products = deps.products();
    const codes = order.lines.map((l, i) => products.itemCode(l.product, `Order.lines[${i}].product`));
    const [supplier, items] = await Promise.all([
      supplierOf(order, store),
      itemsByCode(api, store.id, [...new Set(codes)]),
    ]);
    const lines = requisitionLines(order, codes, items, store, products);
    return { store, supplier, lines };
  };

  const submit = async (order: Order, journal: StepJournal): Promise<WriteResult> => {
    const p = await plan(order);
    const storeId = p.store.id;
    const id = requisitionIdFor(order.orderNumber, storeId);
    const s = deps.settings();
    const there = async () => ((await api.requisition(storeId, id)) ? { id } : undefined);
    await journal.run('insert-requisition', async () => {
      if (await there()) return { id };
      // refused because another attempt's insert landed first: that is this write (landed-meanwhile.ts)
      return writeOrLanded(async () => {
        await api.insertRequestRequisition(storeId, {
          id,
          otherPartyId: p.supplier.id,
          maxMonthsOfStock: s.maxMonthsOfStock,
          minMonthsOfStock: s.minMonthsOfStock,
          theirReference: order.orderNumber.value,
          comment: orderComment(order.orderNumber, order.authoredOn, order.priority),
          ...expectedDelivery(order),
        });
        return { id };
      }, there);
    });
    // p.lines are the order's lines, in order (requisitionLines)
    const sent = new Map<string, number>();
    for (const [i, line] of p.lines.entries()) {
      const settled: { units?: number } = await journal.run(`line:${line.itemCode}`, async () => ({
        ...(await settleLine(api, storeId, id, {
          kind: 'requisition',
          itemId: line.item.id,
          newId: requisitionLineIdFor(id, line.item.id),
          editable: (status) => status === 'DRAFT',
          insert: (lineId) =>
            api.insertRequestRequisitionLine(storeId, { id: lineId, itemId: line.item.id, requisitionId: id }),
          update: (lineId) => api.updateRequestRequisitionLine(storeId, { id: lineId, requestedQuantity: line.units }),
          quantity: line.units,
          refused: (err) => lineRefused(err, `Order.lines[${i}]`, line.itemCode, p.store),
        })),
        // the units this step set, journaled: packs become units by the item's pack size, which
        // Open mSupply may change before a retry, whose send must compare what was set (absent
        // in a journal written before this was kept: the units as planned now)
        units: line.units,
      }));
      sent.set(line.item.id, settled.units ?? line.units);
    }
    const asSent = p.lines.map((l) => ({ ...l, units: sent.get(l.item.id) ?? l.units }));
    // a change of an order whose first write stopped before the send drops lines too
    await journal.run('former-lines', () => dropFormerLines(api, storeId, id, p.lines));
    const status = await journal.run('send', async () => {
      const current = await createdRequisition(api, storeId, id, 'requisition');
      if (current.status !== 'DRAFT') return sentAsThis(current, asSent);
      // refused (CannotEditRequisition) because another attempt sent it first: sent is sent, with these lines
      return writeOrLanded(
        async () => (await api.updateRequestRequisition(storeId, { id, status: 'SENT' })).status,
        async () => {
          const now = await createdRequisition(api, storeId, id, 'requisition');
          return now.status !== 'DRAFT' ? sentAsThis(now, asSent) : undefined;
        },
      );
    });
    return { system: MSUPPLY, ids: { requisition: id }, status: orderStatusOf(status as RequisitionRow['status']) };
  };

  const matches = (o: Order, c: SearchCriteria) =>
    (!c.status || o.status === c.status) &&
    (!c.identifier ||
      (o.orderNumber.value === c.identifier.value &&
        (!c.identifier.system || o.orderNumber.system === c.identifier.system))) &&
    inRanges(o.authoredOn, c.date) &&
    inRanges(o.lastUpdated, c.lastUpdated);

  /**
   * The order a request requisition with this id is, read through the response requisition made
   * from it in a store the user may act in: a user who may act in the warehouse alone reads the
   * order a supplier search listed (under the request's ids) through the warehouse's copy. Open
   * mSupply filters requisitions by no link, so the store's responses are read, with their requests:
   * only for an id behind a link (a search listed it), never for any id nothing else found.
   */
  const respondedAs = async (requestId: string): Promise<Order | undefined> => {
    for (const store of await stores.readable()) {
      const responses = await api.requisitions(store.id, { type: { equalTo: 'RESPONSE' } }, true);
      const r = responses.find((x) => x.linkedRequisition?.id === requestId);
      if (r) return decodeRequisition(r, store, deps.products());
    }
    return undefined;
  };

  return {
    async get(id, listed) {
      for (const store of await stores.readable()) {
        // with its request, should it be a response made from one: it reads as that request
        const r = await api.requisition(store.id, id, true);
        if (r && (r.type === 'REQUEST' || r.type === 'RESPONSE')) return decodeRequisition(r, store, deps.products());
      }
      return listed ? respondedAs(id) : undefined;
    },
    async search(criteria) {
      // a supplier named: the response requisitions that store holds (the warehouse's view); else the facilities' requests
      const suppliers = criteria.supplier ? await stores.readable(criteria.supplier) : undefined;
      const filter: Record<string, unknown> = { type: { equalTo: suppliers ? 'RESPONSE' : 'REQUEST' } };
      if (criteria.identifier) filter.theirReference = { equalTo: criteria.identifier.value };
      const found = await Promise.all(
        (suppliers ?? (await stores.readable(criteria.facility))).map(async (store) =>
          (await api.requisitions(store.id, filter, !!suppliers)).map((r) =>
            decodeRequisition(r, store, deps.products()),
          ),
        ),
      );
      return {
        items: found
          .flat()
          .filter(
            (o) => matches(o, criteria) && (!suppliers || !criteria.facility || o.facility.id === criteria.facility),
          ),
      };
    },
    submit,
    formerIds: formerResponseLineIds,
    formerIdsWhy:
      "was an id of the warehouse's copy of the order (its Open mSupply response requisition, once listed under ids of its own); the same order now reads as the facility's request requisition, under the id every search gives it",
    async precheck(order) {
      refuseBarredSystem(order.orderNumber, 'Order.orderNumber', "an Open mSupply requisition's comment");
      await plan(order);
    },
    // a changed or cancelled order: only while its request requisition is a DRAFT (order-change.ts)
    ...orderChanges(deps, submit),
  };
}

/**
 * A request requisition found sent: this write's send when it holds exactly this write's lines
 * (an attempt of this write sends only once they are set and former lines dropped). Sent with
 * other lines or quantities, it is another write's (an earlier revision's late attempt, a user):
 * this order is not what the supplier was sent, said as a conflict rather than reported applied.
 */
function sentAsThis(now: RequisitionRow, lines: RequisitionLine[]): RequisitionRow['status'] {
  // lines of 0 left aside: Open mSupply may trim them from a request requisition it sends
  const wanted = new Map(lines.filter((l) => l.units !== 0).map((l) => [l.item.id, l.units]));
  const there = now.lines.nodes.filter((l) => l.requestedQuantity !== 0);
  const same = there.length === wanted.size && there.every((l) => wanted.get(l.itemId) === l.requestedQuantity);
  if (same) return now.status;
  throw new ConflictError(
    `request requisition ${now.id} was ${now.status} in Open mSupply by another write, with lines other than this order's (${now.lines.nodes.map((l) => `${l.item.code} ${l.requestedQuantity}`).join(', ')}); Open mSupply changes a request requisition only while it is DRAFT (CannotEditRequisition)`,
  );
}

/**
 * Open mSupply's expected delivery date (a date): when the facility needs the goods
 * (occurrenceDateTime), else the end of the period the order names.
 */
function expectedDelivery(order: Order): { expectedDeliveryDate?: string } {
  const date = order.neededBy ?? order.period?.end;
  return date ? { expectedDeliveryDate: date.slice(0, 10) } : {};
}
