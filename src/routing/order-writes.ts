import { BusinessRuleError } from '../domain/errors.js';
import type { Order } from '../domain/index.js';
import type { OrderCapability, StepJournal, WriteResult } from './ports.js';

/**
 * Which write of a connector's order capability an Order is: the order as first written
 * (submit), a change of it (amend), or its cancellation (cancel). A change goes to a system that
 * cannot take it as a refusal naming the system, before anything is recorded (the precheck).
 */
export function writeOrder(system: string, orders: OrderCapability, order: Order, journal: StepJournal) {
  if (!order.revision) return orders.submit(order, journal);
  return changeOf(system, orders, order)(order, journal);
}

export async function precheckOrderWrite(
  system: string,
  orders: OrderCapability,
  order: Order,
  earlier: Order[],
): Promise<void> {
  if (!order.revision) return orders.precheck?.(order, earlier);
  changeOf(system, orders, order);
  return orders.precheckChange?.(order);
}

function changeOf(
  system: string,
  orders: OrderCapability,
  order: Order,
): (order: Order, journal: StepJournal) => Promise<WriteResult> {
  const cancelling = order.status === 'cancelled';
  const change = cancelling ? orders.cancel : orders.amend;
  if (!change)
    throw new BusinessRuleError(
      `${system} cannot ${cancelling ? 'cancel' : 'change'} order ${order.orderNumber.value} through the mediator: its connector has no way to ${cancelling ? 'cancel' : 'amend'} an order already sent`,
      [cancelling ? 'SupplyRequest.status' : 'SupplyRequest'],
    );
  return change.bind(orders);
}
