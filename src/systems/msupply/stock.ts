import { codeCandidates, type Code } from '../../domain/identifiers.js';
import { BusinessRuleError, ConflictError } from '../../domain/errors.js';
import { stableId, stableUuid } from '../../domain/ids.js';
import { lineKeys } from '../../domain/repeated-lines.js';
import type { ItemStats, Quantity, StockLine, StockReport } from '../../domain/index.js';
import type { SearchCriteria, StepJournal, StockCapability, WriteResult } from '../../routing/ports.js';
import { ExpiringCache } from '../../upstream/expiring-cache.js';
import type {
  AdjustmentReasonRow,
  ItemRow,
  ItemStatsRow,
  MsupplyApi,
  StockLineRow,
  StocktakeRow,
  StoreRow,
} from './api.js';
import { makeMsupplyError, msupplyReason } from './errors.js';
import { refusedWrite, writeOrLanded } from './landed-meanwhile.js';
import { MSUPPLY, STORE_CODE_SYSTEM } from './identifiers.js';
import type { MsupplyProductMap } from './products.js';
import { msupplyLedgers } from './stock-ledger.js';
import { tidy } from './packs.js';
import {
  countedFor,
  finalisedAsThis,
  lineCountsOf,
  lineHolds,
  stocktakeLineId,
  type LineCount,
} from './stocktake-counts.js';
import type { StockLedgerReader } from '../../domain/stock-ledger.js';
import type { StoreDirectory } from './stores.js';
import { topUpLines } from './stocktake-top-up.js';
import { sendDroppingRefused } from './refused-line-fields.js';
import { warnDroppedField } from './dropped-field-log.js';
import { SILENT_LOG, type ConnectorLog } from '../connector-log.js';

/**
 * InventoryReport ↔ Open mSupply stock. Read: the store's stock lines (batches with expiry, packs
 * × pack size = units) as one snapshot per store, each line with its item's average monthly
 * consumption and months of stock from `ItemNode.stats` (the server's own figures, over the
 * store's lookback period; months of stock absent when nothing was consumed). Write: a count (snapshot) or a change
 * (difference) becomes a stocktake — insertStocktake (blank), one insertStocktakeLine per line
 * with `countedNumberOfPacks` (for a difference: the batch's packs now plus the change), then
 * updateStocktake(status: FINALISED), which makes Open mSupply post the inventory addition and
 * reduction (server/service/src/stocktake/update.rs in msupply-foundation/open-msupply). The
 * stocktake id derives from the report's identifier, each step is journaled and looks before it
 * writes, so a retry never counts twice. A line that changes stock carries an inventory
 * adjustment reason, found by name among the server's active reason options of that direction
 * (POSITIVE/NEGATIVE_INVENTORY_ADJUSTMENT; never a configured id) and sent as `reasonOptionId`
 * (inventoryAdjustmentReasons and inventoryAdjustmentReasonId are deprecated since 2.8.0 in the
 * schema): Open mSupply requires one when such reasons exist (AdjustmentReasonNotProvided).
 */
export interface StockDeps {
  api: MsupplyApi;
  stores: StoreDirectory;
  products: () => MsupplyProductMap;
  /** Where a count's stocktake line field Open mSupply refused, and the count went on without, is said. */
  log?: ConnectorLog;
}

interface CountLine {
  itemCode: string;
  item: ItemRow;
  stockLine?: StockLineRow;
  counted: number;
  /**
   * The pack size `counted` is in, sent with every count set on a line already there: Open mSupply
   * finalises the counted packs in the line's pack size (its insert's, perhaps another than the
   * stock line's now), so a count in packs of today's size on a line made with another would post
   * other units (stocktake/update/generate.rs; stocktake_line/update keeps it if not given).
   */
  packSize: number;
  batch?: string;
  expiry?: string;
  reasonId?: string;
}

const REASONS_TTL_MS = 600_000;

/**
 * Packs of a quantity. Open mSupply counts packs of any fraction (numberOfPacks and
 * countedNumberOfPacks are Float; dispensing 30 tablets of a 1000-tablet pack leaves 9.97), so
 * units become packs by division, not only when they make whole packs.
 */
function packsOf(q: Quantity, packSize: number, where: string): number {
  if (!Number.isFinite(q.value))
    throw new BusinessRuleError(`${where}: quantity ${String(q.value)} is not a number of ${q.unit}s`, where);
  if (q.unit === 'pack') return q.value;
  if (!(packSize > 0))
    throw new BusinessRuleError(`${where}: the item has no pack size, so units cannot become packs`, where);
  return q.value / packSize;
}

/**
 * The stock line a report line is about: its lot's, when it names one. Naming none (systems that
 * do not track lots), it is the item's one batch with packs: Open mSupply keeps a used-up batch's
 * stock line at 0 packs for good, and stock reads never show it (hasPacksInStore), so it must not
 * make every lot-less count "ambiguous". Only when no batch has packs does a used-up one count.
 */
function batchOf(
  lines: StockLineRow[],
  lot: string | undefined,
  what: string,
  store: Pick<StoreRow, 'code'>,
  where: string,
  counting: boolean,
): StockLineRow | undefined {
  if (lot) return lotLineOf(lines, lot, what, store, where, counting);
  const stocked = lines.filter((s) => s.totalNumberOfPacks > 0);
  if (stocked.length > 1)
    throw new BusinessRuleError(
      `${what} has ${stocked.length} batches with stock in store ${store.code}: name the lot (${stocked.map((s) => s.batch ?? '(no batch)').join(', ')})`,
      `${where}.lot`,
    );
  if (stocked.length === 1) return stocked[0];
  if (lines.length > 1)
    throw new BusinessRuleError(
      `${what} has ${lines.length} used-up batches and none with stock in store ${store.code}: name the lot`,
      `${where}.lot`,
    );
  return lines[0];
}

/**
 * The stock line of a named lot. One batch may be on several stock lines (received twice at other
 * prices, or used up and received again): the one with packs is the batch, as for a report naming
 * no lot, never a used-up line whose count would leave the live line's packs on top of it. A
 * change applies to a line with packs; a count of a batch on two lines with packs cannot say which
 * holds how many, so it is refused.
 */
function lotLineOf(
  lines: StockLineRow[],
  lot: string,
  what: string,
  store: Pick<StoreRow, 'code'>,
  where: string,
  counting: boolean,
): StockLineRow | undefined {
  const named = lines.filter((s) => s.batch === lot);
  const stocked = named.filter((s) => s.totalNumberOfPacks > 0);
  if (counting && stocked.length > 1)
    throw new BusinessRuleError(
      `${what}: batch ${lot} is on ${stocked.length} stock lines with packs in store ${store.code} (${stocked.map((s) => s.totalNumberOfPacks).join(' and ')} packs), and one count cannot say which holds how many: count it in Open mSupply`,
      `${where}.lot`,
    );
  return stocked[0] ?? named[0];
}

/** Open mSupply's figures as the domain's: AMC in units per month, months of stock when there was consumption. */
function itemStatsOf(figures: ItemStatsRow['stats']): ItemStats {
  return {
    averageMonthlyConsumption: { value: figures.averageMonthlyConsumption, unit: 'dispensing-unit' },
    ...(figures.monthsOfStockOnHand !== null ? { monthsOfStock: figures.monthsOfStockOnHand } : {}),
  };
}

export function createStockCapability(deps: StockDeps): StockCapability & StockLedgerReader {
  const { api, stores } = deps;
  const log = deps.log ?? SILENT_LOG;
  const reasonsCache = new ExpiringCache(() => REASONS_TTL_MS);
  const reasons = () => reasonsCache.get<AdjustmentReasonRow[]>('reasons', () => api.adjustmentReasons());

  /** The adjustment reason of a change, by name; required when the server has reasons of that direction. */
  const reasonFor = async (change: number, reason: Code | undefined, where: string): Promise<string | undefined> => {
    if (change === 0) return undefined;
    const type = change > 0 ? 'POSITIVE_INVENTORY_ADJUSTMENT' : 'NEGATIVE_INVENTORY_ADJUSTMENT';
    const candidates = (await reasons()).filter((r) => r.isActive && r.type === type);
    const direction = change > 0 ? 'positive' : 'negative';
    const names = candidates.map((r) => r.reason).join(', ');
    // each coding's display, then its code: the first Open mSupply knows wins
    const given = codeCandidates(reason).flatMap((c) => [c.display ?? '', c.code].filter(Boolean));
    const name = given.find((n) => candidates.some((r) => r.reason.toLowerCase() === n.toLowerCase())) ?? given[0];
    if (!name) {
      if (candidates.length)
        throw new BusinessRuleError(
          `${where}: Open mSupply requires a reason for a ${change > 0 ? 'gain' : 'loss'} (AdjustmentReasonNotProvided): one of ${names}`,
          `${where}.reason`,
        );
      return undefined;
    }
    const found = candidates.find((r) => r.reason.toLowerCase() === name.toLowerCase());
    if (!found)
      throw new BusinessRuleError(
        `${where}: '${name}' is not an active Open mSupply ${direction} adjustment reason${names ? ` (${names})` : ' (none is configured)'}`,
        `${where}.reason`,
      );
    return found.id;
  };

  const snapshotOf = async (store: Pick<StoreRow, 'id' | 'code'>, criteria: SearchCriteria): Promise<StockReport> => {
    const products = deps.products();
    const lines: StockLine[] = [];
    const itemOfLine: string[] = [];
    for (const l of await api.stockLines(store.id, { hasPacksInStore: true })) {
      const product = products.productOf(l.item.code, l.item.name);
      if (!product) continue;
      if (
        criteria.item &&
        (criteria.item.code !== product.code || (criteria.item.system && criteria.item.system !== product.system))
      )
        continue;
      lines.push({
        product,
        // tidy: 1.15 packs of 100 are 114.99999999999999 in floating point, which no count could post back
        quantity: { value: tidy(l.totalNumberOfPacks * l.packSize), unit: 'dispensing-unit' },
        ...(l.batch ? { lot: { number: l.batch, ...(l.expiryDate ? { expiry: l.expiryDate } : {}) } } : {}),
      });
      itemOfLine.push(l.itemId);
    }
    // the item's AMC and months of stock, as Open mSupply computes them for the store (one query)
    const stats = await api.itemStats(store.id, [...new Set(itemOfLine)]);
    lines.forEach((line, i) => {
      const figures = stats.get(itemOfLine[i]);
      if (figures) line.itemStats = itemStatsOf(figures);
    });
    return {
      id: stableId(MSUPPLY, 'stock-on-hand', store.id),
      status: 'active',
      countType: 'snapshot',
      reportedAt: new Date().toISOString(),
      reportedAtIsRead: true,
      facility: { id: store.id, identifier: { system: STORE_CODE_SYSTEM, value: store.code } },
      lines,
      source: { system: MSUPPLY, id: store.id },
    };
  };

  /**
   * Each report line as a stocktake line on the store's stock now. `finalised`: the stock already
   * holds this report (its stocktake, finalised, whose counts were never journaled: a write from
   * before the 'counts' step): only the counts are wanted, so neither the stock a change would
   * leave nor its reason is checked again (a change that took a batch's last packs would leave less
   * than nothing), and each line's packs are of the pack size its stocktake line was made with.
   */
  const plan = async (
    report: StockReport,
    finalised?: StocktakeRow,
  ): Promise<{ store: StoreRow; lines: CountLine[] }> => {
    const applied = finalised !== undefined;
    const store = await stores.resolve(report.facility, 'StockReport.facility');
    const products = deps.products();
    if (!report.lines.length)
      throw new BusinessRuleError('a stock report needs at least one line', 'StockReport.lines');
    const lines: CountLine[] = [];
    const countedBy = lineKeys();
    for (const [i, line] of report.lines.entries()) {
      const where = `StockReport.lines[${i}]`;
      const itemCode = products.itemCode(line.product, `${where}.product`);
      const [item] = await api.items(store.id, { code: { equalTo: itemCode } });
      if (!item)
        throw new BusinessRuleError(
          `${where}: Open mSupply holds no item with code ${itemCode} (looked up for store ${store.code})`,
          `${where}.product`,
        );
      const stockLine = batchOf(
        await api.stockLines(store.id, { itemId: { equalTo: item.id } }),
        line.lot?.number,
        `${where}: item ${itemCode}`,
        store,
        where,
        report.countType === 'snapshot',
      );
      const packSize = (finalised && packSizeMadeWith(finalised, i)) ?? stockLine?.packSize ?? item.defaultPackSize;
      let packs = packsOf(line.quantity, packSize, `${where}.quantity`);
      if (report.countType === 'difference') {
        if (report.operation === 'subtraction' && packs > 0) packs = -packs;
        const counted = tidy((stockLine?.totalNumberOfPacks ?? 0) + packs);
        if (counted < 0 && !applied)
          throw new BusinessRuleError(
            `${where}: taking ${-packs} packs of ${itemCode} would leave ${counted} in store ${store.code} (NotEnoughStockForReduction)`,
            `${where}.quantity`,
          );
        packs = counted;
      } else if (packs < 0) {
        throw new BusinessRuleError(`${where}: a count cannot be negative`, `${where}.quantity`);
      }
      // one stocktake line per batch: a second would be counted over the first
      const earlier = countedBy(JSON.stringify([item.id, stockLine?.id, line.lot?.number]), i);
      if (earlier !== undefined) {
        throw new BusinessRuleError(
          `${where}: item ${itemCode}${line.lot?.number ? ` batch ${line.lot.number}` : ''} is counted twice (also StockReport.lines[${earlier}])`,
          `${where}.product`,
        );
      }
      const reason = line.reason ?? report.reason;
      const reasonId = applied
        ? undefined
        : await reasonFor(packs - (stockLine?.totalNumberOfPacks ?? 0), reason, where);
      lines.push({
        itemCode,
        item,
        stockLine,
        counted: packs,
        packSize,
        batch: line.lot?.number,
        expiry: line.lot?.expiry,
        reasonId,
      });
    }
    return { store, lines };
  };

  /**
   * Each of our stocktake lines whose snapshot is no longer its stock line's packs: the snapshot
   * first, then the count (Open mSupply checks a count against the line's existing snapshot:
   * stocktake_line/update/validate.rs). A count stays what was counted; a change applies to the
   * stock as it is now (the delta this attempt planned), with the reason its new direction needs.
   */
  const bringLinesUpToDate = async (storeId: string, stocktakeId: string, report: StockReport, lines: CountLine[]) => {
    const now = await api.stocktake(storeId, stocktakeId);
    for (const [i, line] of lines.entries()) {
      const lineId = stocktakeLineId(stocktakeId, i);
      const row = now?.lines.nodes.find((l) => l.id === lineId);
      if (!row?.stockLine || row.stockLine.totalNumberOfPacks === row.snapshotNumberOfPacks) continue;
      const fresh = row.stockLine.totalNumberOfPacks;
      const where = `StockReport.lines[${i}]`;
      const counted =
        report.countType === 'difference'
          ? tidy(fresh + line.counted - (line.stockLine?.totalNumberOfPacks ?? 0))
          : line.counted;
      if (counted < 0)
        throw new BusinessRuleError(
          `${where}: the change would leave ${counted} packs of ${line.itemCode}: the stock moved since it was planned (NotEnoughStockForReduction)`,
          `${where}.quantity`,
        );
      const reasonId = await reasonFor(counted - fresh, report.lines[i].reason ?? report.reason, where);
      await api.updateStocktakeLine(storeId, { id: lineId, snapshotNumberOfPacks: fresh });
      await api.updateStocktakeLine(storeId, {
        id: lineId,
        countedNumberOfPacks: counted,
        packSize: line.packSize,
        ...(reasonId ? { reasonOptionId: reasonId } : {}),
      });
    }
  };

  return {
    // each store's ledger over a window, for the stock → DHIS2 bridge (stock-ledger.ts)
    ledgers: (window) => msupplyLedgers(deps, window),
    async search(criteria) {
      return {
        items: await Promise.all((await stores.readable(criteria.facility)).map((s) => snapshotOf(s, criteria))),
      };
    },
    async get(id) {
      for (const store of await stores.readable())
        if (stableId(MSUPPLY, 'stock-on-hand', store.id) === id) return snapshotOf(store, {});
      return undefined;
    },
    async precheck(report) {
      await plan(report);
    },
    async report(report: StockReport, journal: StepJournal): Promise<WriteResult> {
      const store = await stores.resolve(report.facility, 'StockReport.facility');
      const key = report.identifier ? `${report.identifier.system}|${report.identifier.value}` : journal.idempotencyKey;
      const id = stableUuid(MSUPPLY, 'stocktake', store.id, key);
      const existing = await api.stocktake(store.id, id);
      // the report's counts, journaled before anything is written: the counts of a line found
      // there (its insert landed, its answer lost), whatever pack size Open mSupply holds by the retry
      const journaledCounts = (lines: () => Promise<{ lines: CountLine[] }>) =>
        journal.run('counts', async () => countsOf(report, await lines()));
      // finalised already (a retry after a lost answer, or by hand): a difference re-planned now
      // would count twice, so it is compared with the counts this write's steps journaled
      if (existing?.status === 'FINALISED') {
        const journaled: LineStep[] = [];
        for (const i of report.lines.keys())
          journaled.push(await journal.run<LineStep>(`line:${i}`, async () => ({ lineId: stocktakeLineId(id, i) })));
        finalisedAsThis(existing, await countsSent(journaled, () => journaledCounts(() => plan(report, existing))));
        return { system: MSUPPLY, ids: { stocktake: id }, status: 'active' };
      }
      const p = await plan(report);
      const firstCounts = await journaledCounts(async () => p);
      await journal.run('insert-stocktake', async () => {
        const there = async () => ((await api.stocktake(store.id, id)) ? { id } : undefined);
        if (await there()) return { id };
        // refused because another attempt's insert landed first: that is this write (landed-meanwhile.ts)
        return writeOrLanded(async () => {
          await api.insertStocktake(store.id, {
            id,
            createBlankStocktake: true,
            description: report.identifier ? `FHIR report ${key}` : 'FHIR report',
            comment: report.note,
          });
          return { id };
        }, there);
      });
      const steps: LineStep[] = [];
      for (const [i, line] of p.lines.entries()) {
        const step = await journal.run<LineStep>(`line:${i}`, async () => {
          const lineId = stocktakeLineId(id, i);
          const current = await api.stocktake(store.id, id);
          const reason = line.reasonId ? { reasonOptionId: line.reasonId } : {};
          const found = current?.lines.nodes.find((l) => l.id === lineId);
          // found there: this write's own insert landed (its answer lost), or a stopped report's
          // line under the same identifier that this corrected report takes over: that one is
          // set to this report's count, or Open mSupply would finalise the stopped report's count
          if (found) {
            if (!sameStock(found, line)) throw takenByAnother(current!, i, line);
            if (lineHolds(found, firstCounts[i])) return { lineId };
            const count = countsOf(report, { lines: [line] })[0];
            await api.updateStocktakeLine(store.id, {
              id: lineId,
              countedNumberOfPacks: countedFor(found, count),
              packSize: line.packSize,
              ...reason,
            });
            return { lineId, count };
          }
          // refused because another attempt inserted it first (and may have finalised since): the
          // line is there. A stocktake finalised without it (by hand in Open mSupply) never counted
          // this line: the refusal stands, not this write done
          const landed = async () => {
            const now = await api.stocktake(store.id, id);
            return now?.lines.nodes.some((l) => l.id === lineId) ? { lineId, withItsFields: true as const } : undefined;
          };
          const stockLine = line.stockLine;
          const insert = () =>
            stockLine
              ? // Open mSupply's finalise writes the line's batch, location and the like over the
                // stock line's (none if not given) and keeps on the line only what this insert
                // gives; one it refuses (a location no longer in the store) is left out
                sendDroppingRefused(
                  stockLineAsItIs(stockLine),
                  (fields) =>
                    api.insertStocktakeLine(store.id, {
                      id: lineId,
                      stocktakeId: id,
                      stockLineId: stockLine.id,
                      ...fields,
                      countedNumberOfPacks: line.counted,
                      ...reason,
                    }),
                  warnDroppedField(log, {
                    storeId: store.id,
                    stocktakeId: id,
                    stocktakeNumber: current?.stocktakeNumber,
                    itemId: line.item.id,
                    itemCode: line.item.code,
                    batch: stockLine.batch,
                    stockLineId: stockLine.id,
                  }),
                )
              : api.insertStocktakeLine(store.id, {
                  id: lineId,
                  stocktakeId: id,
                  itemId: line.item.id,
                  countedNumberOfPacks: line.counted,
                  packSize: line.item.defaultPackSize,
                  ...(line.batch ? { batch: line.batch } : {}),
                  ...(line.expiry ? { expiryDate: line.expiry.slice(0, 10) } : {}),
                  ...reason,
                });
          // the count sent, in the packs of the pack size it was sent with (a crash between the
          // 'counts' step and this insert, the pack size changed meanwhile: these packs, not those)
          return writeOrLanded<LineStep>(async () => {
            await insert();
            return { lineId, count: countsOf(report, { lines: [line] })[0], withItsFields: true };
          }, landed);
        });
        steps.push(step);
      }
      const counts = await countsSent(steps, () => journaledCounts(async () => p));
      await journal.run('finalise', async () => {
        const current = await api.stocktake(store.id, id);
        if (current?.status === 'FINALISED') return finalisedAsThis(current, counts);
        if (current) refuseLinesBeyond(current, p.lines.length);
        const finalise = () => api.updateStocktake(store.id, { id, status: 'FINALISED', ...countDay(report) });
        try {
          // lines an earlier release inserted without the stock line's fields, which finalise would erase
          if (current) await topUpLines(api, store.id, current, linesToTopUp(steps), log);
          await finalise();
        } catch (err) {
          // refused (CannotEditStocktake: a top-up or the finalise) because another attempt finalised
          // it first: done if with these counts
          const now = refusedWrite(err) ? await api.stocktake(store.id, id) : undefined;
          if (now?.status === 'FINALISED') return finalisedAsThis(now, counts);
          if (msupplyReason(err) !== SNAPSHOT_MISMATCH) throw err;
          // the stock moved between a line's snapshot and now (dispensed meanwhile, or a retry long
          // after its lines went in): Open mSupply refuses to finalise on a stale snapshot, so every
          // retry failed for good and the stocktake stayed NEW
          await bringLinesUpToDate(store.id, id, report, p.lines);
          await finalise().catch((again: unknown) => {
            throw msupplyReason(again) === SNAPSHOT_MISMATCH ? stockStillMoving(id) : again;
          });
        }
        return 'FINALISED';
      });
      return { system: MSUPPLY, ids: { stocktake: id }, status: 'active' };
    },
  };
}

const SNAPSHOT_MISMATCH = 'SnapshotCountCurrentCountMismatch';

/** The counts a planned report writes, to journal (stocktake-counts.ts). */
const countsOf = (report: StockReport, p: { lines: CountLine[] }) =>
  lineCountsOf(
    report,
    p.lines.map((l) => ({
      itemCode: l.itemCode,
      counted: l.counted,
      before: l.stockLine?.totalNumberOfPacks ?? 0,
      packSize: l.packSize,
    })),
  );

/**
 * A stocktake line step's journal: the line, with the count it inserted (absent: found there, or
 * journaled before counts were), and whether this release inserted it with its stock line's own
 * fields (absent: an earlier release's step, or a line found there).
 */
type LineStep = { lineId: string; count?: LineCount; withItsFields?: true };

/**
 * The lines to give their stock line's fields before finalising (topUpLines): those an earlier
 * release's step inserted, or found there, not knowing what their insert gave. One this release
 * inserted has them, and a field a storekeeper cleared on it since stays cleared.
 */
function linesToTopUp(steps: LineStep[]): number[] {
  return [...steps.keys()].filter((i) => !steps[i].withItsFields);
}

/**
 * The count each line of this write's stocktake holds by this write: the one its line step sent,
 * else (the line found there, its insert landed with the answer lost, or a step journaled before
 * counts were kept with it) the report's counts journaled before the stocktake went in.
 */
async function countsSent(steps: LineStep[], journaled: () => Promise<LineCount[]>): Promise<LineCount[]> {
  if (steps.every((s) => s.count)) return steps.map((s) => s.count!);
  const counts = await journaled();
  return steps.map((s, i) => s.count ?? counts[i]);
}

/**
 * A stock line's fields as it is, given with its stocktake line as Open mSupply's own stocktake
 * screen gives them: the line keeps only what its insert gave (volume per pack 0 if not given),
 * and finalising writes the line's batch, expiry, location, manufacture date, volume per pack,
 * donor, manufacturer, campaign and program over the stock line's (stocktake/update/generate.rs
 * generate_stock_in_out_or_update), which a line without them would leave without them.
 */
function stockLineAsItIs(s: StockLineRow) {
  return {
    ...(s.batch ? { batch: s.batch } : {}),
    ...(s.expiryDate ? { expiryDate: s.expiryDate } : {}),
    packSize: s.packSize,
    ...(s.locationId ? { location: { value: s.locationId } } : {}),
    ...(s.manufactureDate ? { manufactureDate: s.manufactureDate } : {}),
    ...(s.volumePerPack ? { volumePerPack: s.volumePerPack } : {}),
    ...(s.donor ? { donorId: s.donor.id } : {}),
    ...(s.manufacturer ? { manufacturerId: s.manufacturer.id } : {}),
    ...(s.campaign ? { campaignId: s.campaign.id } : {}),
    ...(s.program ? { programId: s.program.id } : {}),
  };
}

/**
 * The pack size line i of a finalised stocktake counts in, as Open mSupply keeps it on the line
 * (StocktakeLineNode.packSize): a storekeeper may change the stock line's pack size after the
 * finalise, and a count re-planned on the new size reads the same tablets as other packs. Open
 * mSupply keeps only the pack size the line's insert gave (stocktake_line/insert/generate.rs):
 * a new batch's line has it; one an earlier release inserted by its stock line alone has none
 * (the stock line's size now, the retry then a 409 if it changed).
 */
function packSizeMadeWith(stocktake: StocktakeRow, i: number): number | undefined {
  const size = stocktake.lines.nodes.find((l) => l.id === stocktakeLineId(stocktake.id, i))?.packSize;
  return size && size > 0 ? size : undefined;
}

/**
 * Whether a stocktake line found there counts the stock this report's line counts: the same stock
 * line, or where either has none (a new batch, inserted by item: a stock line only once
 * finalised) the same item and batch, and the expiry this report gives. A stopped report's line
 * for another batch taken as this one would be finalised with this report's count.
 */
function sameStock(row: StocktakeRow['lines']['nodes'][number], line: CountLine): boolean {
  if (row.itemId !== line.item.id) return false;
  if (row.stockLine && line.stockLine) return row.stockLine.id === line.stockLine.id;
  const batch = line.stockLine ? line.stockLine.batch : line.batch;
  const expiry = line.stockLine ? line.stockLine.expiryDate : line.expiry?.slice(0, 10);
  return (row.batch ?? null) === (batch ?? null) && (!expiry || row.expiryDate === expiry);
}

/**
 * The stocktake (a stopped report's under this identifier) holds line i for other stock: Open
 * mSupply has no way here to take a line out, and finalising would post that report's count.
 */
function takenByAnother(now: StocktakeRow, i: number, line: CountLine) {
  return new ConflictError(
    `stocktake ${now.stocktakeNumber} (not finalised) already holds a line for StockReport.lines[${i}] counting other stock than item ${line.itemCode}${line.batch ? ` batch ${line.batch}` : ''}: written by an earlier report under this identifier; finalise or delete it in Open mSupply, or send this report under a new identifier`,
  );
}

/**
 * A line of this stocktake under a derived id past this report's lines: an earlier report under
 * this identifier that stopped before its finalise had more lines, and finalising would post them.
 */
function refuseLinesBeyond(now: StocktakeRow, count: number) {
  for (let j = count; j < count + now.lines.nodes.length; j++)
    if (now.lines.nodes.some((l) => l.id === stocktakeLineId(now.id, j)))
      throw new ConflictError(
        `stocktake ${now.stocktakeNumber} (not finalised) holds a line beyond this report's ${count} (line ${j}), written by an earlier report under this identifier: finalise or delete it in Open mSupply, or send this report under a new identifier`,
      );
}

/** The stock moved again while its lines were brought up to date: the outbox tries again later. */
function stockStillMoving(stocktakeId: string) {
  return makeMsupplyError({
    system: MSUPPLY,
    transient: true,
    status: 503,
    diagnostics: `stocktake ${stocktakeId}: the stock kept moving while it was finalised; tried again later`,
  });
}

/**
 * The day the stock was counted, as the stocktake's date (UpdateStocktakeInput.stocktakeDate, a
 * NaiveDate in msupply-foundation/open-msupply's GraphQL schema): the latest countingDateTime of
 * the report, on the client's own calendar. Without one, Open mSupply dates it itself.
 */
function countDay(report: StockReport): { stocktakeDate?: string } {
  const times = report.lines.map((l) => l.countedAt).filter((x): x is string => !!x);
  if (!times.length) return {};
  const latest = times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
  return { stocktakeDate: latest.slice(0, 10) };
}
