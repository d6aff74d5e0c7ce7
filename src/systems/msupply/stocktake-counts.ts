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
}

/** The stocktake line id of a report's line i (derived, so every attempt writes the same line). */
export const stocktakeLineId = (stocktakeId: string, i: number) =>
  stableUuid(MSUPPLY, 'stocktake-line', stocktakeId, String(i));

/** Each planned line's count (`counted` is the packs the line counts; `before` the batch's packs it was planned on). */
export function lineCountsOf(
  report: StockReport,
  lines: { itemCode: string; counted: number; before: number }[],
): LineCount[] {
  return lines.map((l) =>
    report.countType === 'difference'
      ? { itemCode: l.itemCode, change: tidy(l.counted - l.before) }
      : { itemCode: l.itemCode, counted: l.counted },
  );
}

/** Whether a stocktake line holds a count (a change: its counted packs over its snapshot). */
export function lineHolds(row: StocktakeLineRow, count: LineCount): boolean {
  const counted = row.countedNumberOfPacks ?? row.snapshotNumberOfPacks;
  return count.change !== undefined
    ? tidy(counted - row.snapshotNumberOfPacks) === count.change
    : counted === count.counted;
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
    const counted = row.countedNumberOfPacks ?? row.snapshotNumberOfPacks;
    if (count.change !== undefined) {
      const change = tidy(counted - row.snapshotNumberOfPacks);
      return change === count.change
        ? []
        : [
            `${what} changed by ${change} packs (${counted} counted over ${row.snapshotNumberOfPacks}), not ${count.change}`,
          ];
    }
    return counted === count.counted ? [] : [`${what} counted ${counted} packs, not ${count.counted}`];
  });
  if (!differences.length) return 'FINALISED';
  throw new ConflictError(
    `stocktake ${now.stocktakeNumber} was finalised in Open mSupply with other counts than this report's: ${differences.join('; ')}; a finalised stocktake is edited no longer (CannotEditStocktake)`,
  );
}
