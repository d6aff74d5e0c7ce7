import type { StockLine } from './model.js';
import type { MsupplyState } from './state.js';
import { stockLineNode } from './views.js';

/**
 * Open mSupply's stock ledger as the `ledger(storeId, filter, sort)` query answers it (LedgerNode in
 * the GraphQL schema: one row per stock movement of a stock line, `quantity` signed in units
 * (packs × pack size), `invoiceType` the kind of transaction that moved it, `runningBalance` after
 * it). The sandbox records a row wherever its state moves stock: the seed's opening balances (an
 * inventory addition), shipping an outbound shipment, receiving an inbound one, finalising a
 * stocktake, and dispensing (prescriptions, entered through the control API with their date, as
 * a dispensary enters them).
 */
export type LedgerInvoiceType =
  'INBOUND_SHIPMENT' | 'OUTBOUND_SHIPMENT' | 'PRESCRIPTION' | 'INVENTORY_ADDITION' | 'INVENTORY_REDUCTION';

export interface LedgerEntry {
  id: string;
  storeId: string;
  itemId: string;
  stockLineId: string;
  datetime: string;
  /** Signed units. */
  quantity: number;
  invoiceType: LedgerInvoiceType;
  invoiceNumber: number;
  name: string;
  reason: string | null;
}

/** Where the seed's opening balances are dated: before any month a test or the demo sends. */
export const OPENING_DATETIME = '2026-01-01T00:00:00.000Z';

export class StockLedger {
  readonly entries: LedgerEntry[] = [];
  /** The same rows by store: a national sandbox answers one store without scanning every row. */
  readonly byStore = new Map<string, LedgerEntry[]>();
  private next = 1;

  record(
    line: StockLine,
    packs: number,
    type: LedgerInvoiceType,
    datetime: string,
    name = '',
    reason: string | null = null,
  ) {
    if (packs === 0) return;
    const entry: LedgerEntry = {
      id: `ledger-${this.next++}`,
      storeId: line.storeId,
      itemId: line.itemId,
      stockLineId: line.id,
      datetime,
      quantity: packs * line.packSize,
      invoiceType: type,
      invoiceNumber: this.next,
      name,
      reason,
    };
    this.entries.push(entry);
    const mine = this.byStore.get(entry.storeId);
    if (mine) mine.push(entry);
    else this.byStore.set(entry.storeId, [entry]);
  }
}

/** An inventory addition or reduction for a stocktake's change of packs. */
export const adjustmentType = (packs: number): LedgerInvoiceType =>
  packs >= 0 ? 'INVENTORY_ADDITION' : 'INVENTORY_REDUCTION';

/**
 * Dispenses units of an item in a store (a prescription), first-expiring batch first, dated as
 * given; refused when the store does not have that many. A prescription takes exactly the units
 * given, in packs of any fraction: numberOfPacks is a Float and the prescription's allocation
 * allows partial packs (AutoAllocateField allowPartialPacks in open-msupply's client), so 125
 * tablets of a 100-tablet batch take 1.25 packs and leave a broken pack, not 2 whole packs.
 */
export function dispense(
  state: MsupplyState,
  storeId: string,
  itemCode: string,
  units: number,
  datetime: string,
): void {
  const item = [...state.items.values()].find((i) => i.code === itemCode);
  if (!item) throw new Error(`no item ${itemCode}`);
  const lines = [...state.stockLines.values()]
    .filter((l) => l.storeId === storeId && l.itemId === item.id && l.availableNumberOfPacks > 0)
    .sort((a, b) => (a.expiryDate ?? '9999').localeCompare(b.expiryDate ?? '9999'));
  const available = lines.reduce((n, l) => n + l.availableNumberOfPacks * l.packSize, 0);
  if (units > available) throw new Error(`store ${storeId} has ${available} units of ${itemCode}, not ${units}`);
  let left = units;
  for (const line of lines) {
    if (left <= 0) break;
    const packs = Math.min(line.availableNumberOfPacks, tidy(left / line.packSize));
    line.totalNumberOfPacks = tidy(line.totalNumberOfPacks - packs);
    line.availableNumberOfPacks = tidy(line.availableNumberOfPacks - packs);
    state.ledger.record(line, -packs, 'PRESCRIPTION', datetime, 'Patient');
    left = tidy(left - packs * line.packSize);
  }
}

/** Pack arithmetic without binary noise (1.25 packs × 100 is 125, not 124.99999999999999). */
const tidy = (n: number) => Math.round(n * 1e9) / 1e9;

type Args = Record<string, any>;

/** The `ledger` query: the store's rows, filtered by item, stock line and datetime, in datetime order. */
export function ledgerRows(state: MsupplyState, storeId: string, filter: Args | null | undefined): Args[] {
  const f = filter ?? {};
  const eq = (v: string, e: Args | undefined) =>
    !e || ((e.equalTo == null || v === e.equalTo) && (!Array.isArray(e.equalAny) || e.equalAny.includes(v)));
  const at = (v: string, d: Args | undefined) =>
    !d ||
    ((d.afterOrEqualTo == null || Date.parse(v) >= Date.parse(d.afterOrEqualTo)) &&
      (d.beforeOrEqualTo == null || Date.parse(v) <= Date.parse(d.beforeOrEqualTo)) &&
      (d.equalTo == null || Date.parse(v) === Date.parse(d.equalTo)));
  const balances = new Map<string, number>();
  const rows: Args[] = [];
  const mine = [...(state.ledger.byStore.get(storeId) ?? [])].sort(
    (a, b) => a.datetime.localeCompare(b.datetime) || a.id.localeCompare(b.id, 'en', { numeric: true }),
  );
  for (const e of mine) {
    const balance = (balances.get(e.stockLineId) ?? 0) + e.quantity;
    balances.set(e.stockLineId, balance);
    if (!eq(e.itemId, f.itemId) || !eq(e.stockLineId, f.stockLineId) || !at(e.datetime, f.datetime)) continue;
    const line = state.stockLines.get(e.stockLineId);
    rows.push({
      __typename: 'LedgerNode',
      id: e.id,
      storeId: e.storeId,
      itemId: e.itemId,
      stockLineId: e.stockLineId,
      stockLine: line ? stockLineNode(state, line) : null,
      datetime: e.datetime,
      quantity: e.quantity,
      runningBalance: balance,
      invoiceType: e.invoiceType,
      invoiceNumber: e.invoiceNumber,
      name: e.name,
      reason: e.reason,
      user: null,
    });
  }
  return rows;
}
