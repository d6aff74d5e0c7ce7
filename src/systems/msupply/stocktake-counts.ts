import { ConflictError } from '../../domain/errors.js';
import { stableUuid } from '../../domain/ids.js';
import type { StockReport } from '../../domain/index.js';
import type { StocktakeRow } from './api.js';
import { MSUPPLY } from './identifiers.js';
import { tidy } from './packs.js';

type StocktakeLineRow = StocktakeRow['lines']['nodes'][number];

/**
 * What each line of a report's stocktake holds once this write made it, in packs: a count its
 * counted packs, a change its packs over the line's snapshot (the stock the change applied to,
 * whatever it was when the line went in or was brought up to date). Journaled with the line step
 * that sent it, and for every line before the stocktake is inserted (a line found there): packs
 * come from units by a pack size Open mSupply may change between an attempt that landed and its
 * retry, which would otherwise compare other packs.
 */
export interface LineCount {
  /** The item's code, to name the line in a conflict. */
  itemCode: string;
  counted?: number;
  change?: number;
  /**
   * The pack size these packs are in (absent in a journal from before it was kept): a line
   * brought up to date after a pack size change holds the same units as other packs.
   */
  packSize?: number;
}

/** The stocktake line id of a report's line i (derived, so every attempt writes the same line). */
export const stocktakeLineId = (stocktakeId: string, i: number) =>
  stableUuid(MSUPPLY, 'stocktake-line', stocktakeId, String(i));

/** Each planned line's count (`counted` is the packs the line counts; `before` the batch's packs it was planned on). */
export function lineCountsOf(
  report: StockReport,
  lines: { itemCode: string; counted: number; before: number; packSize: number }[],
): LineCount[] {
  return lines.map((l) =>
    report.countType === 'difference'
      ? { itemCode: l.itemCode, change: tidy(l.counted - l.before), packSize: l.packSize }
      : { itemCode: l.itemCode, counted: l.counted, packSize: l.packSize },
  );
}

/**
 * Whether a line's packs are a count's: the same units where both pack sizes are known (a line
 * brought up to date after a pack size change is set in today's packs, its count journaled in
 * the old ones), else the same packs.
 */
function samePacks(row: StocktakeLineRow, rowPacks: number, count: LineCount, packs: number | undefined): boolean {
  if (packs === undefined) return false;
  const size = row.packSize && row.packSize > 0 ? row.packSize : undefined;
  if (size === undefined || !count.packSize) return rowPacks === packs;
  // packs are kept to 1e-9 (tidy): each side's units are off by at most half that per unit of pack size
  return Math.abs(rowPacks * size - packs * count.packSize) <= 1e-9 * (size + count.packSize);
}

/**
 * The units of each side where their packs are of different sizes (a line brought up to date in
 * today's packs): 6 packs against 7 reads as one pack off when it is 420 tablets against 350.
 */
function inUnits(row: StocktakeLineRow, rowPacks: number, count: LineCount, packs: number | undefined): string {
  const size = row.packSize && row.packSize > 0 ? row.packSize : undefined;
  if (size === undefined || !count.packSize || size === count.packSize || packs === undefined) return '';
  return ` (packs of ${size} there, of ${count.packSize} in this report: ${tidy(rowPacks * size)} units, not ${tidy(packs * count.packSize)})`;
}

/** Whether a stocktake line holds a count (a change: its counted packs over its snapshot). */
export function lineHolds(row: StocktakeLineRow, count: LineCount): boolean {
  const counted = row.countedNumberOfPacks ?? row.snapshotNumberOfPacks;
  return count.change !== undefined
    ? samePacks(row, tidy(counted - row.snapshotNumberOfPacks), count, count.change)
    : samePacks(row, counted, count, count.counted);
}

/** The packs a line counts to hold a count (a change applies to the line's snapshot). */
export const countedFor = (row: StocktakeLineRow, count: LineCount) =>
  count.change !== undefined ? tidy(row.snapshotNumberOfPacks + count.change) : (count.counted ?? 0);

/**
 * A stocktake found FINALISED (a retry after a lost answer, another attempt, or a storekeeper in
 * Open mSupply) is this write done only if every line holds this report's count; else a 409
 * naming what is there: finalised with other counts (or without a line), the stock it posted is
 * not this report's, and Open mSupply edits a finalised stocktake no longer (CannotEditStocktake).
 */
export function finalisedAsThis(now: StocktakeRow, counts: LineCount[]): 'FINALISED' {
  const differences = counts.flatMap((count, i) => {
    const row = now.lines.nodes.find((l) => l.id === stocktakeLineId(now.id, i));
    const what = `StockReport.lines[${i}] (item ${count.itemCode})`;
    if (!row) return [`no line for ${what}`];
    if (lineHolds(row, count)) return [];
    const counted = row.countedNumberOfPacks ?? row.snapshotNumberOfPacks;
    if (count.change !== undefined) {
      const change = tidy(counted - row.snapshotNumberOfPacks);
      return [
        `${what} changed by ${change} packs (${counted} counted over ${row.snapshotNumberOfPacks}), not ${count.change}${inUnits(row, change, count, count.change)}`,
      ];
    }
    return [`${what} counted ${counted} packs, not ${count.counted}${inUnits(row, counted, count, count.counted)}`];
  });
  if (!differences.length) return 'FINALISED';
  throw new ConflictError(
    `stocktake ${now.stocktakeNumber} was finalised in Open mSupply with other counts than this report's: ${differences.join('; ')}; a finalised stocktake is edited no longer (CannotEditStocktake)`,
  );
}
