import { OPENING_DATETIME } from './ledger.js';
import type { MsupplyState } from './state.js';

/**
 * A national sandbox for benchmarks: `stores` health-facility stores (codes BK-0001 …, each with
 * a stock line of every bench item) and `items` items (codes BKI01 …, 10 units a pack), the
 * integration user acting in all of them, and three months of movements up to `month` in the
 * ledger: prescriptions twice a month, a receipt mid-month, a stocktake loss in every fifth store.
 * Quantities derive from the store and item numbers, so every run is the same.
 */
export interface BulkStock {
  stores: number;
  items: number;
  /** The last month with movements (yyyy-MM); the two before it get movements too. */
  month: string;
}

export const bulkStoreCode = (n: number) => `BK-${String(n).padStart(4, '0')}`;
export const bulkItemCode = (n: number) => `BKI${String(n).padStart(2, '0')}`;
const PACK = 10;

function monthsUpTo(month: string): string[] {
  const [y, m] = month.split('-').map(Number);
  return [2, 1, 0].map((back) => {
    const d = new Date(Date.UTC(y, m - 1 - back, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  });
}

export function seedBulkStock(state: MsupplyState, bulk: BulkStock): void {
  const mediator = [...state.users.values()].find((u) => u.username === 'mediator')!;
  const months = monthsUpTo(bulk.month);
  const lastDay = new Date(Date.UTC(+bulk.month.slice(0, 4), +bulk.month.slice(5, 7), 0));
  for (let i = 1; i <= bulk.items; i++) {
    const code = bulkItemCode(i);
    state.items.set(`item-${code.toLowerCase()}`, {
      id: `item-${code.toLowerCase()}`,
      code,
      name: `Bench item ${i}`,
      defaultPackSize: PACK,
      unitName: 'tablet',
    });
  }
  for (let s = 1; s <= bulk.stores; s++) {
    const code = bulkStoreCode(s);
    const id = `store-${code.toLowerCase()}`;
    state.stores.set(id, { id, code, name: `Bench store ${s}`, nameId: `name-${code.toLowerCase()}`, siteId: 100 + s });
    state.names.set(`name-${code.toLowerCase()}`, {
      id: `name-${code.toLowerCase()}`,
      code,
      name: `Bench store ${s}`,
      storeId: id,
      isCustomer: true,
      isSupplier: false,
    });
    mediator.storeIds.push(id);
    for (let i = 1; i <= bulk.items; i++) {
      // expiries spread over the four months after the last: some within 90 days, some not
      const expiry = new Date(lastDay.getTime() + ((s * 7 + i * 11) % 120) * 86_400_000).toISOString().slice(0, 10);
      const line = {
        id: `stock-${code.toLowerCase()}-${i}`,
        storeId: id,
        itemId: `item-${bulkItemCode(i).toLowerCase()}`,
        batch: `B${s}-${i}`,
        expiryDate: expiry,
        packSize: PACK,
        totalNumberOfPacks: 0,
        availableNumberOfPacks: 0,
        onHold: false,
      };
      state.stockLines.set(line.id, line);
      const move = (packs: number, type: Parameters<typeof state.ledger.record>[2], at: string) => {
        line.totalNumberOfPacks += packs;
        line.availableNumberOfPacks += packs;
        state.ledger.record(line, packs, type, at);
      };
      move(100, 'INVENTORY_ADDITION', OPENING_DATETIME);
      months.forEach((m, k) => {
        move(-(((s + i + k) % 4) + 1), 'PRESCRIPTION', `${m}-05T09:00:00.000Z`);
        move(3, 'INBOUND_SHIPMENT', `${m}-10T09:00:00.000Z`);
        move(-(((s * 3 + i + k) % 5) + 1), 'PRESCRIPTION', `${m}-18T09:00:00.000Z`);
        if (s % 5 === 0) move(-1, 'INVENTORY_REDUCTION', `${m}-25T09:00:00.000Z`);
      });
    }
  }
}
