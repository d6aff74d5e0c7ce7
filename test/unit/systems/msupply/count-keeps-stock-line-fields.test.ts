/**
 * Open mSupply finalises a stocktake line of a batch in stock by writing the line's location,
 * volume per pack, donor, manufacturer, campaign and program over the stock line's whichever way
 * the count goes, and its manufacture date unless the count takes packs away
 * (stocktake/update/generate.rs generate_stock_in_out_or_update); a line keeps only what its
 * insert gave, volume per pack 0 if not given (stocktake_line/insert/generate.rs). A count sent
 * without them would leave the batch without its shelf, donor and the rest: the insert carries
 * the stock line's own, read from StockLineNode.
 */
import t from 'tap';
import { MemoryJournal, asSet, orsCount, orsLine, startRig } from './harness.js';

for (const [what, sachets] of [
  ['a count that changes nothing', 500],
  ['a count that adds packs', 600],
  ['a count that takes packs away', 400],
] as const) {
  t.test(`${what}: the batch keeps its location, dates, volume and sources`, async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const stock = orsLine(rig);
    stock.more = { ...asSet };
    await rig.connector.stock!.report(orsCount(`KEEP-MORE-${sachets}`, sachets), new MemoryJournal());
    t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised');
    const after = rig.sb.state.stockLines.get(stock.id)!;
    t.equal(after.totalNumberOfPacks, sachets / 50, 'counted');
    t.same(
      after.more,
      asSet,
      'its location, manufacture date, volume per pack, donor, manufacturer, campaign, program',
    );
  });
}

t.test('a batch without them stays without them', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const stock = orsLine(rig);
  await rig.connector.stock!.report(orsCount('KEEP-NONE', 600), new MemoryJournal());
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised');
  t.same(rig.sb.state.stockLines.get(stock.id)!.more, {
    locationId: null,
    manufactureDate: null,
    volumePerPack: 0,
    donorId: null,
    manufacturerId: null,
    campaignId: null,
    programId: null,
  });
});
