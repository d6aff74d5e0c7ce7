import { Gauge, type Registry } from 'prom-client';
import { markStoreDerived } from '../platform/metrics-exposition.js';
import type { Store, TransactionUpdateCounts } from '../store/types.js';

/**
 * OpenHIM transaction updates not sent, at /metrics: a write answered 202 through OpenHIM leaves
 * its transaction Processing until the mediator's update reaches OpenHIM (transaction-update-sweep.ts).
 * Owed ones pile up while OpenHIM is down or refuses our credentials; refused and abandoned ones
 * are transactions OpenHIM will show Processing for good. Read from the store when scraped (the
 * jobs' own debts and reruns'), so every instance on PostgreSQL reports the shared figures.
 */
export function registerTransactionUpdateMetrics(registry: Registry, store: Store, prefix = 'mediator_'): void {
  const counts = sharedCounts(store);
  new Gauge({
    name: `${prefix}openhim_transaction_updates`,
    help: 'OpenHIM transaction updates not sent, by state (owed: still to send; refused: a 4xx OpenHIM will never take; abandoned: given up after openhim.updateGiveUpMs)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const unsent = await counts();
      for (const state of ['owed', 'refused', 'abandoned'] as const) this.set({ state }, unsent[state]);
    },
  });
  new Gauge({
    name: `${prefix}openhim_transaction_update_oldest_owed_age_seconds`,
    help: 'Time since the job of the oldest OpenHIM transaction update still owed ended; 0 when none',
    registers: [registry],
    async collect() {
      const { oldestOwedEndedAt } = await counts();
      this.set(oldestOwedEndedAt === undefined ? 0 : Math.max(0, (Date.now() - oldestOwedEndedAt) / 1000));
    },
  });
  markStoreDerived(
    registry,
    `${prefix}openhim_transaction_updates`,
    `${prefix}openhim_transaction_update_oldest_owed_age_seconds`,
  );
}

/** How long one read of the counts serves: both gauges of one scrape, not the next scrape. */
const SHARED_MS = 1_000;

/**
 * The store's counts, read once for both gauges of a scrape (prom-client collects each gauge on
 * its own): the read in flight, or one younger than SHARED_MS. A failed read is not kept.
 */
function sharedCounts(store: Store): () => Promise<TransactionUpdateCounts> {
  let last: { at: number; counts: Promise<TransactionUpdateCounts> } | undefined;
  return () => {
    if (last && Date.now() - last.at < SHARED_MS) return last.counts;
    const read = { at: Date.now(), counts: store.countTransactionUpdates() };
    read.counts.catch(() => {
      if (last === read) last = undefined;
    });
    return (last = read).counts;
  };
}
