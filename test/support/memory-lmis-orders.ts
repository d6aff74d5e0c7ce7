import type { Order } from '../../src/domain/index.js';
import type { Connector, WriteResult } from '../../src/routing/ports.js';

/**
 * An LMIS that takes every order: each submit is kept under an id derived from its business key,
 * read back and listed as submitted. For tests about what the mediator records around a write,
 * not about the upstream. `beforeSubmit` runs first and may throw: the LMIS refusing or failing
 * that submit, nothing kept.
 */
export function memoryLmisOrders(beforeSubmit?: (order: Order) => void): {
  connector: Connector;
  orders: Map<string, Order>;
  submits: () => number;
} {
  const orders = new Map<string, Order>();
  let submits = 0;
  const connector: Connector = {
    system: 'openlmis',
    orders: {
      async get(id) {
        return orders.get(id);
      },
      async search() {
        return { items: [...orders.values()] };
      },
      async submit(order, journal): Promise<WriteResult> {
        submits++;
        beforeSubmit?.(order);
        const id = `req-${journal.idempotencyKey}`;
        orders.set(id, { ...order, id, status: 'active' });
        return { system: 'openlmis', ids: { requisition: id }, status: 'SUBMITTED' };
      },
    },
  };
  return { connector, orders, submits: () => submits };
}
