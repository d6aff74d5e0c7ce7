import type { Settings } from '../config/settings.js';
import { ledgerReaderOf } from '../domain/stock-ledger.js';
import type { JobResult, ScheduledJob } from '../jobs/scheduler.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Connector } from '../routing/ports.js';
import type { Store } from '../store/types.js';
import { loadDhis2Products } from '../systems/dhis2/products.js';
import { recentPeriods, type BridgePeriod } from './stock-period.js';
import { stockRunDetail } from './stock-run-detail.js';
import {
  dhis2PeriodType,
  NO_DHIS2,
  NO_LMIS,
  problems,
  runStockToDhis2,
  type StockBridgeDeps,
} from './stock-to-dhis2.js';

export interface StockJobDeps {
  store: Store;
  settings: () => Settings;
  connectors: () => Connector[];
  outbox: Outbox;
}

/** The bridge's dependencies from the mediator's configuration as it is now (mappings re-read each run). */
export function stockBridgeDeps(deps: StockJobDeps): StockBridgeDeps | { skipped: string } {
  const connectors = deps.connectors();
  if (!connectors.some((c) => c.system === 'dhis2' && c.stock)) return { skipped: NO_DHIS2 };
  const settings = deps.settings();
  return {
    store: deps.store,
    outbox: deps.outbox,
    connectors,
    products: loadDhis2Products(settings),
    dataSet: typeof settings['dhis2.dataSet'] === 'string' ? settings['dhis2.dataSet'] : undefined,
  };
}

/**
 * Periods a scheduled run covers, the last complete one and those before it: a late correction in
 * the LMIS, or a run that failed (DHIS2 down on the day), is sent by a later run; periods already
 * in DHIS2 as they are cost reads only.
 */
export const LOOKBACK_PERIODS = 3;

export interface StockJobOptions {
  /** One period only (a run by hand); default the last LOOKBACK_PERIODS complete periods. */
  period?: BridgePeriod;
  now?: Date;
  /** Aborts when the job's lock was lost to another instance: no period is started, no write queued after. */
  signal?: AbortSignal;
}

/** One scheduled run: the recent complete periods of the data set's type (months by default), oldest first; counts summed. */
export async function runStockJob(deps: StockJobDeps, options: StockJobOptions = {}): Promise<JobResult> {
  const bridge = stockBridgeDeps(deps);
  if ('skipped' in bridge) return bridge;
  if (!bridge.connectors.some((c) => c.system !== 'dhis2' && ledgerReaderOf(c.stock))) return { skipped: NO_LMIS };
  const periods = options.period
    ? [options.period]
    : recentPeriods(
        (await dhis2PeriodType(bridge.connectors)) ?? 'Monthly',
        options.now ?? new Date(),
        LOOKBACK_PERIODS,
      );
  const counts: Record<string, number> = { periods: periods.length, unreadSystems: 0 };
  const left: Parameters<typeof stockRunDetail>[0] = [];
  const unread: Parameters<typeof stockRunDetail>[1] = [];
  for (const period of periods) {
    options.signal?.throwIfAborted();
    const result = await runStockToDhis2(bridge, { period, keep: problems, signal: options.signal });
    for (const [k, v] of Object.entries({ facilities: result.facilities, ...result.counts }))
      counts[k] = (counts[k] ?? 0) + v;
    counts.unreadSystems += result.unread.length;
    for (const outcome of result.outcomes) left.push({ period: result.period, outcome });
    for (const system of result.unread) unread.push({ period: result.period, system });
  }
  const detail = stockRunDetail(left, unread);
  return { counts, ...(detail ? { detail } : {}) };
}

/** LMIS stock indicators → DHIS2 for the recent complete periods (setting `schedules.stockToDhis2`). */
export function stockToDhis2Job(deps: StockJobDeps): ScheduledJob {
  return {
    name: 'stockToDhis2',
    setting: 'schedules.stockToDhis2',
    description:
      "Send the last complete periods (the DHIS2 data set's type) of LMIS stock indicators to DHIS2, only values that changed",
    run: (signal) => runStockJob(deps, { signal }),
  };
}
