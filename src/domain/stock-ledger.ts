import type { FacilityRef } from './identifiers.js';
import type { ProductRef } from './product.js';

/**
 * What an LMIS holds about stock over time, in neutral terms, for bridges that compute period
 * indicators (stock on hand at period end, consumption, receipts, stock-out days …) from it. A
 * connector reads its own ledger (OpenLMIS stock cards, Open mSupply's ledger, OpenMRS inventory)
 * and answers one StockCardLedger per product and lot; the arithmetic is the same for every system.
 */

/** How a movement counts: into stock from a supplier, out to patients (or issued on), or anything else. */
export type StockMovementKind = 'receipt' | 'consumption' | 'adjustment';

export interface StockMovement {
  /** The day it happened (yyyy-MM-dd), when the system says it occurred, not when it was recorded. */
  date: string;
  /** Signed change in dispensing units (negative: out of stock). */
  quantity: number;
  kind: StockMovementKind;
}

/** One product (and lot, where the system keeps lots apart) at one facility over a window of days. */
export interface StockCardLedger {
  product: ProductRef;
  lot?: { number: string; expiry?: string };
  /** The balance at the end of the day before the window's first day. */
  opening: number;
  /** Movements within the window, in the order they happened. */
  movements: StockMovement[];
}

/** The window a ledger is read for: whole days, both ends included (yyyy-MM-dd). */
export interface DayWindow {
  from: string;
  to: string;
}

/** Every card of one facility (each program's, for systems that keep stock per program). */
export interface FacilityLedger {
  facility: FacilityRef;
  cards: StockCardLedger[];
}

/**
 * The read a stock capability offers when its system keeps a ledger (see routing/ports.ts
 * StockCapability): each facility's ledger over a window, one facility at a time, so a bridge
 * over a national month holds one facility in memory.
 */
export interface StockLedgerReader {
  ledgers(window: DayWindow): AsyncIterable<FacilityLedger>;
}

/** The ledger read of a stock capability, when it has one. */
export function ledgerReaderOf(stock: object | undefined): StockLedgerReader | undefined {
  const reader = stock as Partial<StockLedgerReader> | undefined;
  return typeof reader?.ledgers === 'function' ? (reader as StockLedgerReader) : undefined;
}
