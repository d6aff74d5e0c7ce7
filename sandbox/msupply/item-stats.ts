import type { MsupplyState } from './state.js';

/**
 * `ItemNode.stats(storeId, amcLookbackMonths, periodEnd)` as Open mSupply computes it
 * (server/service/src/item_stats.rs `get_item_stats`, default AMC plugin): consumption is what
 * left the store to a customer or a patient (outbound shipments and prescriptions) over the
 * lookback window ending on `periodEnd` (default today), and the average monthly consumption is
 * that total divided by the lookback months, without any adjustment for days out of stock (the
 * AdjustForNumberOfDaysOutOfStock preference is off by default). The window is lookback × days
 * per month days long, ending at the end of `periodEnd`. Months of stock are stock on hand over
 * AMC, null when nothing was consumed (the GraphQL layer's `monthsOfStockOnHand`).
 * Our reading where the source leaves it to preferences: the store's lookback period
 * (monthly_consumption_look_back_period) is 3 months and a month is 30.44 days (DaysInMonth).
 */
export const DEFAULT_LOOKBACK_MONTHS = 3;
export const DAYS_IN_MONTH = 30.44;
const DAY_MS = 86_400_000;

const CONSUMPTION = new Set(['OUTBOUND_SHIPMENT', 'PRESCRIPTION']);

export interface ItemStatsArgs {
  amcLookbackMonths?: number | null;
  periodEnd?: string | null;
}

export function itemStatsNode(
  state: MsupplyState,
  storeId: string,
  itemId: string,
  args: ItemStatsArgs,
  now: number = Date.now(),
) {
  const months = args.amcLookbackMonths ?? DEFAULT_LOOKBACK_MONTHS;
  const endDay = args.periodEnd ? Date.parse(`${args.periodEnd}T00:00:00Z`) : Math.floor(now / DAY_MS) * DAY_MS;
  const until = endDay + DAY_MS; // the whole of the last day
  const from = until - Math.trunc(months * DAYS_IN_MONTH) * DAY_MS;
  let totalConsumption = 0;
  for (const e of state.ledger.byStore.get(storeId) ?? []) {
    if (e.itemId !== itemId || !CONSUMPTION.has(e.invoiceType)) continue;
    const at = Date.parse(e.datetime);
    if (at >= from && at < until) totalConsumption -= e.quantity;
  }
  let stockOnHand = 0;
  let availableStockOnHand = 0;
  for (const l of state.stockLines.values()) {
    if (l.storeId !== storeId || l.itemId !== itemId) continue;
    stockOnHand += l.totalNumberOfPacks * l.packSize;
    availableStockOnHand += l.availableNumberOfPacks * l.packSize;
  }
  const averageMonthlyConsumption = months > 0 ? totalConsumption / months : 0;
  const over = (soh: number) => (averageMonthlyConsumption > 0 ? soh / averageMonthlyConsumption : null);
  return {
    __typename: 'ItemStatsNode',
    totalConsumption,
    averageMonthlyConsumption,
    stockOnHand,
    availableStockOnHand,
    monthsOfStockOnHand: over(stockOnHand),
    availableMonthsOfStockOnHand: over(availableStockOnHand),
  };
}
