import type { Code, FacilityRef, Identifier, SourceRef } from './identifiers.js';
import type { Lot, ProductRef, Quantity } from './product.js';

export type StockCountType = 'snapshot' | 'difference';
export type StockReportStatus = 'draft' | 'requested' | 'active' | 'entered-in-error';

export interface StockLine {
  product: ProductRef;
  /** Snapshot: stock on hand. Difference: signed change (negative = out). */
  quantity: Quantity;
  lot?: Lot;
  /** Why stock changed (adjustment reason), by name; connectors resolve names to their ids. */
  reason?: Code;
  itemStatus?: Code;
  countedAt?: string;
  /**
   * The item's figures in the facility where the system computes them (read only): the whole
   * item's, over all its lots, so repeated on each lot's line; never to be summed across lines.
   */
  itemStats?: ItemStats;
}

/** Average monthly consumption (units per month) and months of stock on hand (absent: no consumption). */
export interface ItemStats {
  averageMonthlyConsumption: Quantity;
  monthsOfStock?: number;
}

/** A stock count (snapshot) or an adjustment (difference) at one facility. */
export interface StockReport {
  id?: string;
  identifier?: Identifier;
  status: StockReportStatus;
  countType: StockCountType;
  reportedAt: string;
  /**
   * A live snapshot of a system that keeps no time for its stock: reportedAt is the read's time,
   * which routing replaces with the time the mediator first saw this stock (its lastUpdated).
   */
  reportedAtIsRead?: true;
  period?: { start?: string; end?: string };
  facility: FacilityRef;
  program?: string;
  /** For a difference report: is the whole report an addition or a subtraction. */
  operation?: 'addition' | 'subtraction';
  reason?: Code;
  reporter?: string;
  note?: string;
  lines: StockLine[];
  source?: SourceRef;
  lastUpdated?: string;
}
