import type { MsupplyApi, StocktakeLineTopUp, StocktakeRow } from './api.js';
import { stocktakeLineId } from './stocktake-counts.js';
import { sendDroppingRefused } from './refused-line-fields.js';
import { warnDroppedField } from './dropped-field-log.js';
import type { ConnectorLog } from '../connector-log.js';

type Line = StocktakeRow['lines']['nodes'][number];

/**
 * The stock line's own batch, expiry, location, manufacture date, volume per pack, donor,
 * manufacturer, campaign and program where its stocktake line has none. Open mSupply's finalise
 * writes the line's over the stock line's, none where the line has none
 * (stocktake/update/generate.rs generate_stock_in_out_or_update), and a line keeps only what its
 * insert gave (stocktake_line/insert/generate.rs): a line an earlier release inserted by its stock
 * line alone would erase them. What the line holds of its own (a storekeeper's new shelf) stays.
 * Its pack size is not given: finalise falls back to the stock line's where the line has none.
 */
export function missingFromLine(line: Line): StocktakeLineTopUp | undefined {
  const s = line.stockLine;
  if (!s) return undefined; // a new batch: no stock line yet, its line is all there is
  const top: StocktakeLineTopUp = {
    ...(!line.batch && s.batch ? { batch: s.batch } : {}),
    ...(!line.expiryDate && s.expiryDate ? { expiryDate: { value: s.expiryDate } } : {}),
    ...(!line.location && s.locationId ? { location: { value: s.locationId } } : {}),
    ...(!line.manufactureDate && s.manufactureDate ? { manufactureDate: { value: s.manufactureDate } } : {}),
    ...(!line.volumePerPack && s.volumePerPack ? { volumePerPack: s.volumePerPack } : {}),
    ...(!line.donorId && s.donor ? { donorId: { value: s.donor.id } } : {}),
    ...(!line.manufacturer && s.manufacturer ? { manufacturerId: { value: s.manufacturer.id } } : {}),
    ...(!line.campaign && s.campaign ? { campaignId: { value: s.campaign.id } } : {}),
    ...(!line.program && s.program ? { programId: { value: s.program.id } } : {}),
  };
  return Object.keys(top).length ? top : undefined;
}

/**
 * Before finalising, each of this write's `lines` (by index) is given what it lacks of its stock line's
 * own fields (missingFromLine): a count journaled by an earlier release, retried after the upgrade,
 * replays its line steps and goes straight to finalise, and a line found there after a lost answer
 * is not inserted again. Sending it again changes nothing, so a retry after a crash here is safe.
 * A field Open mSupply refuses is left out and said on `log`.
 */
export async function topUpLines(
  api: MsupplyApi,
  storeId: string,
  now: StocktakeRow,
  lines: number[],
  log: ConnectorLog,
): Promise<void> {
  for (const i of lines) {
    const line = now.lines.nodes.find((l) => l.id === stocktakeLineId(now.id, i));
    const top = line && missingFromLine(line);
    // one Open mSupply refuses (a location no longer in the store) is left out, the rest sent
    if (top)
      await sendDroppingRefused(
        top,
        (fields) =>
          Object.keys(fields).length ? api.updateStocktakeLine(storeId, { id: line.id, ...fields }) : Promise.resolve(),
        warnDroppedField(log, {
          storeId,
          stocktakeId: now.id,
          stocktakeNumber: now.stocktakeNumber,
          itemId: line.itemId,
          batch: line.batch ?? line.stockLine?.batch,
          stockLineId: line.stockLine?.id,
        }),
      );
  }
}
