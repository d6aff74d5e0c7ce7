import { BusinessRuleError } from '../../domain/errors.js';
import type { Order } from '../../domain/index.js';
import { lineKeys } from '../../domain/repeated-lines.js';
import { UpstreamCallError } from '../../upstream/errors.js';
import type { ItemRow, MsupplyApi, StoreRow } from './api.js';
import { makeMsupplyError } from './errors.js';
import { MSUPPLY } from './identifiers.js';
import type { MsupplyProductMap } from './products.js';

/**
 * An order's lines as the lines of a requisition in a store, whichever side makes it (a
 * facility's request, orders.ts; a warehouse's response, fulfilment.ts): Open mSupply keeps one
 * line per item (RequisitionLineWithItemIdExists) and counts requisition quantities in units, so
 * each item once, visible in the store, and packs turned into units by the item's pack size (else
 * the catalogue's).
 */
export interface RequisitionLine {
  itemCode: string;
  item: ItemRow;
  units: number;
}

/** A store's items of these codes: ItemFilterInput.code is a StringFilterInput (equalTo | like), so one exact lookup per code. */
export async function itemsByCode(api: MsupplyApi, storeId: string, codes: string[]): Promise<ItemRow[]> {
  return (await Promise.all(codes.map((code) => api.items(storeId, { code: { equalTo: code } })))).flat();
}

/** The order's lines (`codes`: their item codes, `items`: the store's items of those codes), checked line by line. */
export function requisitionLines(
  order: Order,
  codes: string[],
  items: ItemRow[],
  store: StoreRow,
  products: MsupplyProductMap,
): RequisitionLine[] {
  const orderedBy = lineKeys();
  const lines = order.lines.map((line, i) => {
    const where = `Order.lines[${i}]`;
    const itemCode = codes[i];
    const earlier = orderedBy(itemCode, i);
    if (earlier !== undefined)
      throw new BusinessRuleError(
        `${where}: item ${itemCode} is ordered twice (also Order.lines[${earlier}]); Open mSupply keeps one line per item`,
        `${where}.product`,
      );
    const item = items.find((x) => x.code === itemCode);
    if (!item)
      throw new BusinessRuleError(
        `${where}: Open mSupply holds no item with code ${itemCode} (looked up for store ${store.code})`,
        `${where}.product`,
      );
    const { value, unit } = line.quantity;
    if (!Number.isSafeInteger(value) || value < 0)
      throw new BusinessRuleError(
        `${where}: quantity ${String(value)} is not a whole, non-negative number of ${unit}s`,
        `${where}.quantity`,
      );
    if (unit === 'dispensing-unit') return { itemCode, item, units: value };
    const packSize = item.defaultPackSize > 0 ? item.defaultPackSize : products.packSizeOf(itemCode);
    if (!packSize)
      throw new BusinessRuleError(
        `${where}: item ${itemCode} has no pack size, so packs cannot become units`,
        `${where}.quantity`,
      );
    return { itemCode, item, units: value * packSize };
  });
  if (!lines.length) throw new BusinessRuleError('an order needs at least one line', 'Order.lines');
  return lines;
}

/**
 * A line's insert refused for good (the item gone or made inactive since the plan looked it up:
 * ItemDoesNotExist, which Open mSupply answers as a bare "Bad user input"): the same refusal with
 * the line, the item and the store named, so the client sees which line to correct. Only a refusal
 * of the data (422): a permission refusal (403) or any other is about the store or the user, not
 * the line's product, and keeps its own words and pointer.
 */
export function lineRefused(err: unknown, where: string, itemCode: string, store: StoreRow): unknown {
  if (!(err instanceof UpstreamCallError) || err.transient || err.status !== 422) return err;
  return makeMsupplyError({
    system: MSUPPLY,
    transient: false,
    upstreamStatus: err.upstreamStatus,
    status: err.status,
    code: err.issues[0].code,
    expression: [`${where}.product`],
    reason: { code: err.reasonCode, message: err.upstreamMessage },
    diagnostics: `${where}: Open mSupply refused the line for item ${itemCode} in store ${store.code} (${err.issues[0].diagnostics.replace(/^msupply: /, '')})`,
  });
}
