/**
 * A connector for the order flow whose upstream is the no-op server (noop-upstream.ts): one POST
 * per order, one GET for the read-back, over a keep-alive undici pool as the real connectors use.
 * It stands in for a system so bench:http times the mediator's own work on a routed create.
 */
import { Pool } from 'undici';
import type { Order } from '../../src/domain/index.js';
import type { Connector } from '../../src/routing/ports.js';

export function noopConnector(upstreamUrl: string): Connector {
  const pool = new Pool(upstreamUrl, { connections: 16, keepAliveTimeout: 60_000 });
  return {
    system: 'noop',
    orders: {
      get: async (id: string) => {
        const res = await pool.request({ path: `/orders/${encodeURIComponent(id)}`, method: 'GET' });
        if (res.statusCode === 404) {
          await res.body.dump();
          return undefined;
        }
        return (await res.body.json()) as Order;
      },
      search: async () => ({ items: [] }),
      submit: async (order: Order) => {
        const res = await pool.request({
          path: '/orders',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(order),
        });
        const { id } = (await res.body.json()) as { id: string };
        return { system: 'noop', ids: { order: id } };
      },
    },
    close: () => pool.close(),
  };
}
