import type { DayWindow, FacilityLedger, StockCardLedger, StockMovementKind } from '../../domain/stock-ledger.js';
import type { LedgerRow, MsupplyApi } from './api.js';
import { ITEM_CODE_SYSTEM, STORE_CODE_SYSTEM } from './identifiers.js';
import type { MsupplyProductMap } from './products.js';
import type { StoreDirectory } from './stores.js';

/**
 * Each store's stock ledger over a window of days, for bridges (LMIS stock → DHIS2): the stores
 * the integration user acts in, one at a time, and each store's `ledger` (LedgerNode: signed
 * units per stock line, by transaction kind; the query is not paged, so one store's movements up
 * to the window's end are one answer). One card per stock line (batch and expiry).
 *
 * How a movement counts (Open mSupply's own DHIS2 KPIs: received, issued, adjustments): an inbound
 * shipment is a receipt; an outbound shipment or a prescription is consumption (stock leaving the
 * store's hands); stocktakes (inventory additions and reductions), returns and repacks are
 * adjustments.
 */
export interface LedgerDeps {
  api: Pick<MsupplyApi, 'ledger'>;
  stores: Pick<StoreDirectory, 'me'>;
  products: () => MsupplyProductMap;
}

export function movementKindOf(invoiceType: string): StockMovementKind {
  if (invoiceType === 'INBOUND_SHIPMENT') return 'receipt';
  if (invoiceType === 'OUTBOUND_SHIPMENT' || invoiceType === 'PRESCRIPTION') return 'consumption';
  return 'adjustment';
}

/** The rows of one store as cards: opening before the window, movements within it. */
export function storeCards(rows: LedgerRow[], window: DayWindow, products: MsupplyProductMap): StockCardLedger[] {
  const cards = new Map<string, StockCardLedger>();
  for (const row of rows) {
    const day = row.datetime.slice(0, 10);
    if (day > window.to) continue;
    const key = row.stockLineId ?? `item:${row.itemId}`;
    let card = cards.get(key);
    if (!card) {
      const code = row.stockLine?.item.code ?? row.itemId;
      card = {
        // an item the catalogue does not carry keeps its own code: the bridge counts it as unmapped
        product: products.productOf(code, row.stockLine?.item.name) ?? { system: ITEM_CODE_SYSTEM, code },
        lot: row.stockLine?.batch
          ? { number: row.stockLine.batch, expiry: row.stockLine.expiryDate ?? undefined }
          : undefined,
        opening: 0,
        movements: [],
      };
      cards.set(key, card);
    }
    if (day < window.from) card.opening += row.quantity;
    else if (row.quantity !== 0)
      card.movements.push({ date: day, quantity: row.quantity, kind: movementKindOf(row.invoiceType) });
  }
  return [...cards.values()];
}

export async function* msupplyLedgers(deps: LedgerDeps, window: DayWindow): AsyncIterable<FacilityLedger> {
  const me = await deps.stores.me();
  for (const store of me.stores) {
    if (store.isDisabled) continue;
    const rows = await deps.api.ledger(store.id, { datetime: { beforeOrEqualTo: `${window.to}T23:59:59.999Z` } });
    const cards = storeCards(rows, window, deps.products());
    if (!cards.length) continue;
    yield {
      facility: { id: store.id, identifier: { system: STORE_CODE_SYSTEM, value: store.code }, display: store.name },
      cards,
    };
  }
}
