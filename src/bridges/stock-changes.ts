import { createHash } from 'node:crypto';
import type { ProductRef, StockReport } from '../domain/index.js';
import type { Indicator, ProductIndicators } from './stock-indicators.js';

/**
 * What one facility's period changes in DHIS2: the indicator values that differ from what DHIS2
 * holds now for its org unit and period (a value DHIS2 lacks counts as changed), and the business
 * key of sending exactly those: (data set, period, org unit, hash of the values). A re-run after a
 * crash computes the same changes and so the same key, which the outbox already holds: nothing is
 * sent twice; once DHIS2 has them, the next run finds no change: nothing is sent again.
 */
export interface IndicatorValue {
  product: ProductRef;
  /** The product's DHIS2 code (products.json codes.dhis2). */
  productCode: string;
  measure: Indicator;
  value: number;
}

export interface ValueChange extends IndicatorValue {
  /** What DHIS2 holds now; undefined: no value yet. */
  previous?: number;
}

export const valueKey = (productCode: string, measure: string) => `${productCode}|${measure}`;

/** Values within a millionth are the same (DHIS2 keeps NUMBER values as decimal strings). */
const same = (a: number, b: number) => Math.abs(a - b) < 1e-6;

/** The wanted values DHIS2 does not hold as they are, in a stable order. */
export function changedValues(wanted: IndicatorValue[], current: Map<string, number>): ValueChange[] {
  return wanted
    .map((w) => ({ ...w, previous: current.get(valueKey(w.productCode, w.measure)) }))
    .filter((w) => w.previous === undefined || !same(w.previous, w.value))
    .sort((a, b) => a.productCode.localeCompare(b.productCode) || a.measure.localeCompare(b.measure));
}

/** Each product's indicators as values, for products the catalogue gives a DHIS2 code. */
export function indicatorValues(
  indicators: ProductIndicators[],
  dhis2Code: (product: ProductRef) => string | undefined,
  mapped: (productCode: string, measure: Indicator) => boolean,
): { values: IndicatorValue[]; unmapped: ProductRef[] } {
  const values: IndicatorValue[] = [];
  const unmapped: ProductRef[] = [];
  for (const p of indicators) {
    const productCode = dhis2Code(p.product);
    if (!productCode) {
      unmapped.push(p.product);
      continue;
    }
    for (const [measure, value] of Object.entries(p.values) as [Indicator, number][])
      if (mapped(productCode, measure)) values.push({ product: p.product, productCode, measure, value });
  }
  return { values, unmapped };
}

export interface ChangeKeyParts {
  dataSet?: string;
  period: string;
  orgUnit: string;
}

/** The business key of sending these changes to this org unit and period. */
export function changeKey(parts: ChangeKeyParts, changes: ValueChange[]): string {
  const content = changes.map((c) => `${valueKey(c.productCode, c.measure)}=${c.value}`).join(';');
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 20);
  return `stock-to-dhis2|${parts.dataSet ?? '-'}|${parts.period}|${parts.orgUnit}|${hash}`;
}

/** The system and code the line's measure is named by (the DHIS2 connector's MEASURE_SYSTEM). */
export interface ReportShape {
  measureSystem: string;
  orgUnitIdSystem: string;
}

/**
 * The changes as a domain stock report the DHIS2 connector writes as data values (one line per
 * product and measure, the measure named by the line's status), for the org unit and period.
 * Everything in it is derived from the changes, so the same changes give the same payload.
 */
export function changeReport(
  key: string,
  target: { uid: string; name: string },
  period: { start: string; end: string },
  changes: ValueChange[],
  shape: ReportShape,
): StockReport {
  return {
    identifier: { system: 'urn:fhir-supply-mediator:bridge:stock-to-dhis2', value: key },
    status: 'active',
    countType: 'snapshot',
    reportedAt: period.end,
    period: { start: period.start, end: period.end },
    facility: {
      id: target.uid,
      identifier: { system: shape.orgUnitIdSystem, value: target.uid },
      display: target.name,
    },
    lines: changes.map((c) => ({
      product: c.product,
      quantity: { value: c.value, unit: 'dispensing-unit' },
      itemStatus: { system: shape.measureSystem, code: c.measure },
    })),
  };
}

/**
 * Values DHIS2 holds for the org unit and period that the LMIS no longer yields: a product no
 * longer on the facility's ledger, or a measure that no longer has a value (months of stock once
 * the consumption behind it is corrected away). These are deleted, not zeroed: a zero stock on
 * hand is a stock-out on every DHIS2 dashboard, a zero months of stock says "none left", and a
 * deleted value is what DHIS2 shows for "not reported", which is what they now are.
 */
export function staleValues(
  wanted: IndicatorValue[],
  current: Map<string, number>,
): { productCode: string; measure: string; previous: number }[] {
  const keep = new Set(wanted.map((w) => valueKey(w.productCode, w.measure)));
  return [...current.entries()]
    .filter(([key]) => !keep.has(key))
    .map(([key, previous]) => {
      // at the last bar: a measure (an indicator's name) holds none, a product's DHIS2 code may
      const bar = key.lastIndexOf('|');
      return { productCode: key.slice(0, bar), measure: key.slice(bar + 1), previous };
    })
    .sort((a, b) => a.productCode.localeCompare(b.productCode) || a.measure.localeCompare(b.measure));
}

/**
 * The record the bridge's writes of one org unit and period replace (the outbox job's order key):
 * a correction computed while an earlier write of them still waits (DHIS2 refusing for a while)
 * is delivered after it, never before, and a given-up earlier write is not retried over it.
 */
export function valuesOrderKey(parts: ChangeKeyParts): string {
  return `stock-to-dhis2|${parts.dataSet ?? '-'}|${parts.period}|${parts.orgUnit}`;
}

/** The business key of deleting these values (a re-run after a crash finds it; once gone, nothing is stale). */
export function retractKey(
  parts: ChangeKeyParts,
  stale: { productCode: string; measure: string; previous: number }[],
): string {
  const content = stale.map((s) => `${valueKey(s.productCode, s.measure)}=${s.previous}`).join(';');
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 20);
  return `stock-to-dhis2-retract|${parts.dataSet ?? '-'}|${parts.period}|${parts.orgUnit}|${hash}`;
}
