/**
 * Item stats in the stock snapshot, against the sandbox executing the real SDL: dispensing dated
 * inside and outside the store's three-month lookback moves the average monthly consumption and
 * the months of stock exactly as Open mSupply computes them (ItemNode.stats); an item nobody
 * consumed has an AMC of 0 and no months of stock; the FHIR InventoryReport carries both as
 * extensions on each of the item's lines.
 */
import t from 'tap';
import { dispense } from '../../../../sandbox/msupply/ledger.js';
import { DAYS_IN_MONTH, itemStatsNode } from '../../../../sandbox/msupply/item-stats.js';
import { encodeInventoryReport } from '../../../../src/fhir/codecs/inventory-report.js';
import { EXT } from '../../../../src/fhir/conventions.js';
import { AMOXICILLIN, ORS, startRig } from './harness.js';

const STORE = 'store-hc-north';
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

t.test('AMC and months of stock from Open mSupply, on each line of the item', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const stock = rig.connector.stock!;
  const [before] = (await stock.search({ facility: STORE })).items;
  const orsBefore = before.lines.filter((l) => l.product.code === ORS);
  const sohBefore = orsBefore.reduce((n, l) => n + l.quantity.value, 0);
  t.same(
    orsBefore.map((l) => l.itemStats),
    orsBefore.map(() => ({ averageMonthlyConsumption: { value: 0, unit: 'dispensing-unit' } })),
    'nothing consumed yet: AMC 0, no months of stock',
  );

  // whole packs of 50; inside the window (3 months of 30.44 days back from today): 100 + 50; outside: 100
  dispense(rig.sb.state, STORE, 'ORS205S', 100, daysAgo(10));
  dispense(rig.sb.state, STORE, 'ORS205S', 50, daysAgo(40));
  dispense(rig.sb.state, STORE, 'ORS205S', 100, daysAgo(Math.ceil(3 * DAYS_IN_MONTH) + 5));
  const [after] = (await stock.search({ facility: STORE })).items;
  const ors = after.lines.filter((l) => l.product.code === ORS);
  const soh = ors.reduce((n, l) => n + l.quantity.value, 0);
  t.equal(soh, sohBefore - 250, 'all three dispensings left the stock');
  t.ok(ors.length >= 1);
  for (const line of ors) {
    t.same(
      line.itemStats?.averageMonthlyConsumption,
      { value: 50, unit: 'dispensing-unit' },
      '150 units over 3 months',
    );
    t.equal(line.itemStats?.monthsOfStock, soh / 50, 'stock on hand over AMC');
  }
  const amox = after.lines.find((l) => l.product.code === AMOXICILLIN)!;
  t.same(amox.itemStats, { averageMonthlyConsumption: { value: 0, unit: 'dispensing-unit' } }, 'another item: its own');

  const fhir = encodeInventoryReport(after, {});
  const item = fhir.inventoryListing[0].item.find((i: any) => i.item.concept.coding[0].code === ORS);
  const ext = (url: string) => item.extension.find((e: any) => e.url === url);
  t.match(ext(EXT.averageMonthlyConsumption), { valueQuantity: { value: 50, code: 'dispensing-unit' } });
  t.equal(ext(EXT.monthsOfStock).valueDecimal, soh / 50);
});

t.test('the sandbox window: lookback months and period end as arguments', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const state = rig.sb.state;
  const ors = [...state.items.values()].find((i) => i.code === 'ORS205S')!;
  dispense(state, STORE, 'ORS205S', 50, '2026-06-30T23:00:00.000Z');
  dispense(state, STORE, 'ORS205S', 100, '2026-06-01T10:00:00.000Z');
  dispense(state, STORE, 'ORS205S', 50, '2026-07-01T00:00:00.000Z');
  const june = itemStatsNode(state, STORE, ors.id, { amcLookbackMonths: 1, periodEnd: '2026-06-30' });
  t.equal(june.totalConsumption, 150, 'the 1st and the 30th of June in, the 1st of July out');
  t.equal(june.averageMonthlyConsumption, 150);
  const two = itemStatsNode(state, STORE, ors.id, { amcLookbackMonths: 2, periodEnd: '2026-07-01' });
  t.equal(two.averageMonthlyConsumption, 100, '200 units over two months');
  t.equal(two.monthsOfStockOnHand, two.stockOnHand / 100);
  const none = itemStatsNode(state, 'store-hc-south', ors.id, { periodEnd: '2026-07-01' });
  t.equal(none.averageMonthlyConsumption, 0, 'per store');
  t.equal(none.monthsOfStockOnHand, null, 'no consumption: no months of stock');
});
