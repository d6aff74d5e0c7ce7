import type { Settings } from '../config/settings.js';
import { ledgerReaderOf } from '../domain/stock-ledger.js';
import type { JobResult, ScheduledJob } from '../jobs/scheduler.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Connector } from '../routing/ports.js';
import type { Store } from '../store/types.js';
import { loadDhis2Products } from '../systems/dhis2/products.js';
import { previousPeriod, type BridgePeriod } from './stock-period.js';
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

/** One scheduled run: the last complete period of the data set's type (a month by default), its counts recorded. */
export async function runStockJob(deps: StockJobDeps, given?: BridgePeriod): Promise<JobResult> {
  const bridge = stockBridgeDeps(deps);
  if ('skipped' in bridge) return bridge;
  if (!bridge.connectors.some((c) => c.system !== 'dhis2' && ledgerReaderOf(c.stock))) return { skipped: NO_LMIS };
  const period = given ?? previousPeriod((await dhis2PeriodType(bridge.connectors)) ?? 'Monthly', new Date());
  const result = await runStockToDhis2(bridge, { period, keep: problems });
  return { counts: { facilities: result.facilities, ...result.counts } };
}

/** LMIS stock indicators → DHIS2 for the previous complete month (setting `schedules.stockToDhis2`). */
export function stockToDhis2Job(deps: StockJobDeps): ScheduledJob {
  return {
    name: 'stockToDhis2',
    setting: 'schedules.stockToDhis2',
    description:
      "Send the last complete period (the DHIS2 data set's type) of LMIS stock indicators to DHIS2, only values that changed",
    run: () => runStockJob(deps),
  };
}
