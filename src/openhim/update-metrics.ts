import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/types.js';

/**
 * OpenHIM transaction updates not sent, at /metrics: a write answered 202 through OpenHIM leaves
 * its transaction Processing until the mediator's update reaches OpenHIM (transaction-update-sweep.ts).
 * Owed ones pile up while OpenHIM is down or refuses our credentials; refused and abandoned ones
 * are transactions OpenHIM will show Processing for good. Read from the store when scraped (the
 * jobs' own debts and reruns'), so every instance on PostgreSQL reports the shared figures.
 */
export function registerTransactionUpdateMetrics(registry: Registry, store: Store, prefix = 'mediator_'): void {
  new Gauge({
    name: `${prefix}openhim_transaction_updates`,
    help: 'OpenHIM transaction updates not sent, by state (owed: still to send; refused: a 4xx OpenHIM will never take; abandoned: given up after openhim.updateGiveUpMs)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await store.countTransactionUpdates();
      for (const state of ['owed', 'refused', 'abandoned'] as const) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: `${prefix}openhim_transaction_update_oldest_owed_age_seconds`,
    help: 'Time since the job of the oldest OpenHIM transaction update still owed ended; 0 when none',
    registers: [registry],
    async collect() {
      const { oldestOwedEndedAt } = await store.countTransactionUpdates();
      this.set(oldestOwedEndedAt === undefined ? 0 : Math.max(0, (Date.now() - oldestOwedEndedAt) / 1000));
    },
  });
}
