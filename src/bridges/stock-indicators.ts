import type { StockMeasure } from '../domain/stock-measures.js';
import type { ProductRef } from '../domain/index.js';
import type { DayWindow, FacilityLedger, StockCardLedger } from '../domain/stock-ledger.js';

/**
 * The stock indicators programme managers see in DHIS2 next to coverage data, computed from an
 * LMIS ledger for one period (OpenLMIS integration spec's DHIS2 indicators; Open mSupply's DHIS2
 * KPIs: SOH, consumption, received, adjustments, days out of stock, months of stock, expiring in
 * 90 days). Pure arithmetic over StockCardLedger; the rules:
 * - stock on hand: the balance at the end of the period's last day;
 * - consumption, received, adjustments: movements dated within the period, by kind (consumption
 *   as a positive quantity, adjustments signed);
 * - stock-out days: days of the period whose closing balance (all lots together) is zero or less;
 * - months of stock: stock on hand / AMC, AMC being the consumption of the period and the months
 *   before it (AMC_MONTHS in all) divided by that many months; no value when AMC is zero;
 * - expiring within 90 days: stock at period end in lots whose expiry is after the period's last
 *   day and at most 90 days after it.
 */
/** What is computed: the domain's stock measures. */
export type Indicator = StockMeasure;

/** Months the average monthly consumption looks back over, the period included (OpenLMIS's default of 3). */
export const AMC_MONTHS = 3;
export const EXPIRY_HORIZON_DAYS = 90;

export interface ProductIndicators {
  product: ProductRef;
  values: Partial<Record<Indicator, number>>;
}

const DAY_MS = 86_400_000;
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const addDays = (day: string, n: number) => dayOf(dayMs(day) + n * DAY_MS);

/** The days a ledger must cover for a period: the AMC look-back months before it, and the period. */
export function ledgerWindow(period: DayWindow, months = AMC_MONTHS): DayWindow {
  const start = new Date(dayMs(period.from));
  const from = dayOf(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - (months - 1), 1));
  return { from, to: period.to };
}

/** Months in a window of whole months (the AMC divisor). */
function monthsIn(window: DayWindow): number {
  const a = new Date(dayMs(window.from));
  const b = new Date(dayMs(window.to));
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth() + 1;
}

const within = (day: string, w: DayWindow) => day >= w.from && day <= w.to;
const sumOf = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

/** The balance of a card at the end of `day`. */
export function balanceAt(card: StockCardLedger, day: string): number {
  return card.opening + sumOf(card.movements.filter((m) => m.date <= day).map((m) => m.quantity));
}

function movementTotal(cards: StockCardLedger[], kind: string, w: DayWindow): number {
  return sumOf(
    cards.flatMap((c) => c.movements.filter((m) => m.kind === kind && within(m.date, w)).map((m) => m.quantity)),
  );
}

/** Days of the period whose closing balance over every card is zero or less. */
export function stockOutDays(cards: StockCardLedger[], period: DayWindow): number {
  // the balance before the period, then day by day with that day's movements applied
  let balance = sumOf(cards.map((c) => balanceAt(c, addDays(period.from, -1))));
  const byDay = new Map<string, number>();
  for (const c of cards)
    for (const m of c.movements) if (within(m.date, period)) byDay.set(m.date, (byDay.get(m.date) ?? 0) + m.quantity);
  let days = 0;
  for (let d = period.from; d <= period.to; d = addDays(d, 1)) {
    balance += byDay.get(d) ?? 0;
    if (balance <= 0) days++;
  }
  return days;
}

/** Stock at period end in lots expiring after it and within the horizon. */
export function expiringWithin(cards: StockCardLedger[], periodEnd: string, days = EXPIRY_HORIZON_DAYS): number {
  const last = addDays(periodEnd, days);
  return sumOf(
    cards
      .filter((c) => c.lot?.expiry && c.lot.expiry.slice(0, 10) > periodEnd && c.lot.expiry.slice(0, 10) <= last)
      .map((c) => Math.max(0, balanceAt(c, periodEnd))),
  );
}

/** Months of stock, rounded to two decimals; undefined when nothing was consumed (no AMC to divide by). */
export function monthsOfStock(stockOnHand: number, amc: number): number | undefined {
  if (!(amc > 0)) return undefined;
  return Math.round((stockOnHand / amc) * 100) / 100;
}

/** Every indicator of one product (its cards: one per lot and program) for the period. */
export function productIndicators(
  cards: StockCardLedger[],
  period: DayWindow,
  months = AMC_MONTHS,
): Partial<Record<Indicator, number>> {
  const soh = sumOf(cards.map((c) => balanceAt(c, period.to)));
  const amcWindow = ledgerWindow(period, months);
  const amc = -movementTotal(cards, 'consumption', amcWindow) / monthsIn(amcWindow);
  const mos = monthsOfStock(soh, amc);
  return {
    stockOnHand: soh,
    consumption: -movementTotal(cards, 'consumption', period),
    quantityReceived: movementTotal(cards, 'receipt', period),
    adjustments: movementTotal(cards, 'adjustment', period),
    stockOutDays: stockOutDays(cards, period),
    ...(mos === undefined ? {} : { monthsOfStock: mos }),
    expiringWithin90Days: expiringWithin(cards, period.to),
  };
}

const productKey = (p: ProductRef) => `${p.system}|${p.code}`;

/** A facility's indicators per product (cards of one product grouped, whatever their lot or program). */
export function facilityIndicators(
  ledger: FacilityLedger,
  period: DayWindow,
  months = AMC_MONTHS,
): ProductIndicators[] {
  const byProduct = new Map<string, StockCardLedger[]>();
  for (const card of ledger.cards) {
    const key = productKey(card.product);
    byProduct.set(key, [...(byProduct.get(key) ?? []), card]);
  }
  return [...byProduct.values()].map((cards) => ({
    product: cards[0].product,
    values: productIndicators(cards, period, months),
  }));
}
