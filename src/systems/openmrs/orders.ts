import { BusinessRuleError } from '../../domain/errors.js';
import { inRanges } from '../../domain/instant-range.js';
import type { Order, OrderPriority, OrderStatus } from '../../domain/index.js';
import type { OrderCapability, SearchCriteria, StepJournal, WriteResult } from '../../routing/ports.js';
import { OPENMRS } from './errors.js';
import {
  OPERATION_NUMBER_SYSTEM,
  actOn,
  createOperation,
  identifierOf,
  listOperations,
  orderLineId,
  operationReference,
} from './operations.js';
import { locationOf, type StockDeps } from './stock.js';
import { refuseBarredSystem } from '../barred-system.js';
import { dispensingUomOf } from './stock-reference.js';
import { refuseFutureOrderDate } from './operation-date.js';

/**
 * Orders ↔ `requisition` stock operations: the requesting location's party is the destination,
 * the supplier's party (SupplyRequest.deliverFrom) the source; created NEW and SUBMITTED. The
 * order number is the operation's externalReference, so a retry finds the requisition it created.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

const STATUS: Record<string, OrderStatus> = {
  NEW: 'draft',
  SUBMITTED: 'active',
  DISPATCHED: 'active',
  RETURNED: 'suspended',
  COMPLETED: 'completed',
  REJECTED: 'cancelled',
  CANCELLED: 'cancelled',
};

export function createOrderCapability(deps: StockDeps): OrderCapability {
  const { client, reference } = deps;

  const decode = async (op: Json): Promise<Order> => {
    const orderNumber = identifierOf(op.externalReference) ?? {
      system: OPERATION_NUMBER_SYSTEM,
      value: String(op.operationNumber),
    };
    const [source, destination] = await Promise.all([
      reference.party(op.sourceUuid),
      reference.party(op.destinationUuid),
    ]);
    const lines = [];
    for (const it of op.stockOperationItems ?? []) {
      const item = await reference.stockItem(it.stockItemUuid);
      const product = item && deps.products().productOf(String(item.drugUuid), item.drugName);
      if (product)
        lines.push({
          lineId: orderLineId(orderNumber, product),
          product,
          quantity: { value: Number(it.quantity), unit: 'dispensing-unit' as const },
        });
    }
    return {
      id: String(op.uuid),
      orderNumber,
      status: STATUS[op.status] ?? 'unknown',
      priority: remarkedPriority(op.remarks) ?? 'routine',
      ...remarkedNeededBy(op.remarks),
      facility: { id: destination?.locationUuid ?? undefined, display: destination?.name },
      supplier: source ? { id: source.locationUuid ?? undefined, display: source.name } : undefined,
      // the client's authoredOn is the operation's date (submit), as OpenMRS spells it (+0000)
      authoredOn: openmrsDateTime(op.operationDate),
      lines,
      source: { system: OPENMRS, id: String(op.uuid) },
    };
  };

  const requisitions = async (location?: string) =>
    listOperations(client, { operationTypeUuid: await reference.operationType('requisition'), locationUuid: location });

  const plan = async (order: Order) => {
    // first, before any call: refused even while OpenMRS cannot be asked
    refuseFutureOrderDate(order.authoredOn);
    const location = await locationOf(deps, order.facility, 'Order.facility');
    const destination = await reference.partyOf(location, 'Order.facility');
    if (!order.supplier)
      throw new BusinessRuleError(
        'an OpenMRS requisition is made to a supplying store: the order needs deliverFrom',
        'Order.supplier',
      );
    const source = await reference.partyOf(await locationOf(deps, order.supplier, 'Order.supplier'), 'Order.supplier');
    const items = await Promise.all(
      order.lines.map(async (l, i) => {
        const where = `Order.lines[${i}]`;
        const item = await reference.stockItemOf(
          deps.products().drugUuid(l.product, `${where}.product`),
          `${where}.product`,
        );
        const quantity = deps.products().units(l.product, l.quantity, `${where}.quantity`);
        if (!(quantity > 0)) throw new BusinessRuleError('a requested quantity must be positive', `${where}.quantity`);
        return {
          stockItemUuid: String(item.uuid),
          stockItemPackagingUOMUuid: dispensingUomOf(item, `${where}.product`),
          quantity,
        };
      }),
    );
    // the order number reads back from it whole, so one too long for OpenMRS is refused, not cut
    const externalReference = operationReference(order.orderNumber, 'Order.orderNumber');
    return {
      location,
      destination,
      source,
      items,
      externalReference,
      typeUuid: await reference.operationType('requisition'),
    };
  };

  const matches = (o: Order, c: SearchCriteria) =>
    (!c.identifier ||
      (o.orderNumber.value === c.identifier.value &&
        (!c.identifier.system || o.orderNumber.system === c.identifier.system))) &&
    (!c.status || o.status === c.status) &&
    (!c.facility || o.facility.id === c.facility) &&
    inRanges(o.authoredOn, c.date);

  return {
    async get(id) {
      for (const op of await requisitions()) {
        const order = await decode(op);
        if (order.id === id || order.lines.some((l) => l.lineId === id)) return order;
      }
      return undefined;
    },
    async search(criteria) {
      const ops = await requisitions(criteria.facility);
      const orders = await Promise.all(ops.map(decode));
      return { items: orders.filter((o) => matches(o, criteria)) };
    },
    async precheck(order) {
      refuseBarredSystem(order.orderNumber, 'Order.orderNumber', "an OpenMRS stock operation's external reference");
      await plan(order);
    },
    async submit(order: Order, journal: StepJournal): Promise<WriteResult> {
      const p = await plan(order);
      const externalReference = p.externalReference;
      const uuid = await journal.run('create-requisition', async () => {
        const twin = async () =>
          (await listOperations(client, { operationTypeUuid: p.typeUuid, locationUuid: p.location })).find(
            (o) => o.externalReference === externalReference,
          );
        const found = await twin();
        if (found) return String(found.uuid);
        const body = {
          operationTypeUuid: p.typeUuid,
          sourceUuid: p.source.uuid,
          destinationUuid: p.destination.uuid,
          operationDate: order.authoredOn ?? new Date().toISOString(),
          externalReference,
          remarks: orderRemarks(order),
          stockOperationItems: p.items,
        };
        return createOperation(client, body, twin, `requisition ${externalReference}`, 'requisition');
      });
      const status = await journal.run('submit-requisition', () => actOn(client, uuid, 'SUBMIT', ['NEW', 'RETURNED']));
      return { system: OPENMRS, ids: { requisition: uuid }, status: STATUS[status] ?? status };
    },
  };
}

/**
 * A requisition operation's remarks: the order number, when the goods are needed if the client
 * said, and the client's priority when it is not routine, since the operation has neither of its
 * own and they must read back as sent. Short: the order number is at most what an external
 * reference holds.
 */
function orderRemarks(order: Order): string {
  const remarks = `order ${order.orderNumber.value}${order.neededBy ? ` (needed by ${order.neededBy})` : ''}`;
  return order.priority === 'routine' ? remarks : `${remarks} (priority ${order.priority})`;
}

/** The needed-by date orderRemarks recorded, if it did. */
function remarkedNeededBy(remarks: unknown): { neededBy?: string } {
  const m = typeof remarks === 'string' ? / \(needed by ([^\s()]+)\)/.exec(remarks) : null;
  return m ? { neededBy: m[1] } : {};
}

/** The priority orderRemarks recorded, if it did. */
function remarkedPriority(remarks: unknown): OrderPriority | undefined {
  const m = typeof remarks === 'string' ? / \(priority (urgent|asap|stat)\)$/.exec(remarks) : null;
  return m ? (m[1] as OrderPriority) : undefined;
}

/** An OpenMRS REST date (`2026-11-20T05:15:00.000+0000`) as a FHIR dateTime (the zone needs its colon). */
export function openmrsDateTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  return value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}
