/**
 * The stock measures reported per facility, product and period: what a bridge computes from an
 * LMIS ledger and what DHIS2 keeps as data elements (fhir-mappings/dhis2-indicators.json).
 */
export const STOCK_MEASURES = [
  'stockOnHand',
  'consumption',
  'quantityReceived',
  'adjustments',
  'stockOutDays',
  'monthsOfStock',
  'expiringWithin90Days',
] as const;
export type StockMeasure = (typeof STOCK_MEASURES)[number];
