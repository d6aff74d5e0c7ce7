/**
 * A stocktake line of a batch in stock goes in with the stock line's pack size (32616038), and
 * Open mSupply finalises its counted packs in the line's pack size (stocktake/update/generate.rs:
 * the line's pack_size over the stock line's). A count set on a line that is already there, in
 * packs of the pack size Open mSupply holds now, must set that pack size with it: else a pack
 * size changed since the line went in turns the count into other units at the finalise.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { DyingJournal } from '../../../support/dying-journal.js';
import { MemoryJournal } from '../../../support/memory-journal.js';
import { GTIN, ORS, failure, startRig } from './harness.js';

/** `tablets` of ORS counted under one identifier (the seed: 10 packs of 50 of batch N20262). */
const countOf = (tablets: number): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value: 'COUNT-UPDATE-PACK-SIZE-1' },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code: ORS }, quantity: { value: tablets, unit: 'dispensing-unit' } }],
});

type Rig = Awaited<ReturnType<typeof startRig>>;
const orsLine = (rig: Rig) =>
  [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.batch === 'N20262')!;

t.test('a corrected report sets a stopped line after a pack size change: its tablets', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // the stopped report's line went in as 7 packs of 50, its stocktake NEW
  t.match(
    String((await failure(rig.connector.stock!.report(countOf(350), new DyingJournal('finalise'))))?.message),
    /died before finalise/,
  );
  orsLine(rig).packSize = 70;
  const done = await rig.connector.stock!.report(countOf(420), new MemoryJournal('corrected-key'));
  t.equal(done.status, 'active', 'applied');
  const ors = orsLine(rig);
  t.equal(ors.totalNumberOfPacks * ors.packSize, 420, 'the 420 tablets reported (6 packs of 70), not 6 packs of 50');
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised once');
});

t.test('a line brought up to date after a pack size change and a dispense: its tablets', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new DyingJournal('finalise');
  t.match(String((await failure(rig.connector.stock!.report(countOf(350), journal)))?.message), /died before finalise/);
  // before the retry: a pack size of 70 now, and a pack dispensed (the line's snapshot stale)
  const ors = orsLine(rig);
  ors.packSize = 70;
  ors.totalNumberOfPacks -= 1;
  ors.availableNumberOfPacks -= 1;
  const done = await rig.connector.stock!.report(countOf(350), journal);
  t.equal(done.status, 'active', 'applied');
  t.equal(ors.totalNumberOfPacks * ors.packSize, 350, 'the 350 tablets reported (5 packs of 70), not 5 packs of 50');
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised once');
});
