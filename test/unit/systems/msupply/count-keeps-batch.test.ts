/**
 * Open mSupply finalises a stocktake line of a batch in stock by writing the line's own batch,
 * expiry and pack size over the stock line (stocktake/update/generate.rs: a count that changes
 * nothing or adds packs; the batch as the line holds it, none if it has none), and a line keeps
 * only what its insert gave (stocktake_line/insert/generate.rs). A count sent by its stock line
 * alone would leave the batch without its number: the insert carries the stock line's batch,
 * expiry and pack size, as Open mSupply's own stocktake screen does.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { GTIN, MemoryJournal, ORS, startRig } from './harness.js';

/** `sachets` of ORS counted (the seed holds 10 packs of 50 of batch N20262, expiring 2027-12-31). */
const count = (value: string, sachets: number, lot?: string): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [
    {
      product: { system: GTIN, code: ORS },
      quantity: { value: sachets, unit: 'dispensing-unit' },
      ...(lot ? { lot: { number: lot } } : {}),
    },
  ],
});

for (const [what, sachets, lot] of [
  ['a count that changes nothing', 500, undefined],
  ['a count that adds packs', 600, undefined],
  ['a count naming the lot', 600, 'N20262'],
  // a stock-out line: its expiry is the line's, cleared if none (generate_batch_update's NullableUpdate)
  ['a count that takes packs away', 400, undefined],
] as const) {
  t.test(`${what}: the batch keeps its number, expiry and pack size`, async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const stock = () =>
      [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.itemId === 'item-ors')!;
    const id = stock().id;
    await rig.connector.stock!.report(count(`KEEP-${sachets}-${lot ?? 'none'}`, sachets, lot), new MemoryJournal());
    t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised');
    const after = rig.sb.state.stockLines.get(id)!;
    t.equal(after.totalNumberOfPacks, sachets / 50, 'counted');
    t.equal(after.batch, 'N20262', 'its batch number');
    t.equal(after.expiryDate, '2027-12-31', 'its expiry');
    t.equal(after.packSize, 50, 'its pack size');
  });
}
