/**
 * Open mSupply refuses a stocktake line's insert or update naming a location not in the store, a
 * location not of the item's restricted location type, a manufacturer the store cannot see or
 * that is not a manufacturer, a campaign or program that no longer exists
 * (stocktake_line/insert|update/validate.rs, a "Bad user input" with the variant's name). A count
 * gives the stock line's own fields with its line, so a batch still naming such a one failed the
 * count for good where the numbers were fine: the refused field is left out and the line sent
 * again, the count applied, the batch keeping everything else it had.
 */
import t, { type Test } from 'tap';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import type { StockLineMore } from '../../../../sandbox/msupply/model.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import { MemoryJournal, asSet, failure, orsCount, orsLine, startRig } from './harness.js';
import { stoppedBeforeFinalise } from './old-release-journal.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** What changed in Open mSupply since the batch was set, and the field its stocktake line may no longer name. */
const refusals: [string, string, keyof StockLineMore, (rig: Rig) => void][] = [
  [
    'its location no longer in the store',
    'LocationDoesNotExist',
    'locationId',
    (rig) => rig.sb.state.lineFields.locations.delete('location-shelf-a'),
  ],
  [
    'its item now restricted to another location type',
    'IncorrectLocationType',
    'locationId',
    (rig) => rig.sb.state.lineFields.restrictedLocationType.set('item-ors', 'location-type-cold'),
  ],
  [
    'its campaign deleted',
    'CampaignDoesNotExist',
    'campaignId',
    (rig) => rig.sb.state.lineFields.campaigns.delete('campaign-measles-2026'),
  ],
  [
    'its program deleted',
    'ProgramDoesNotExist',
    'programId',
    (rig) => rig.sb.state.lineFields.programs.delete('program-essential'),
  ],
  [
    'its manufacturer no longer a manufacturer',
    'ManufacturerIsNotAManufacturer',
    'manufacturerId',
    (rig) => (rig.sb.state.names.get('name-donor')!.isManufacturer = false),
  ],
  [
    'its manufacturer no longer visible in the store',
    'ManufacturerNotVisible',
    'manufacturerId',
    (rig) =>
      rig.sb.state.visibility.splice(
        rig.sb.state.visibility.findIndex((v) => v.storeId === 'store-hc-north' && v.nameId === 'name-donor'),
        1,
      ),
  ],
];

/** The batch after a count of it: counted once, everything but `refused` as it was, that one none. */
function keptAllBut(t: Test, rig: Rig, stockLineId: string, refused: keyof StockLineMore) {
  const after = rig.sb.state.stockLines.get(stockLineId)!;
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'one stocktake, finalised');
  t.equal(after.totalNumberOfPacks, 12, 'counted once: 600 sachets in packs of 50');
  t.same(after.more, { ...asSet, [refused]: null }, `the batch keeps all else; finalise leaves it without ${refused}`);
}

for (const [what, reason, refused, change] of refusals)
  t.test(`a batch with ${what} (${reason}): counted, the rest kept`, async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const stock = orsLine(rig);
    stock.more = { ...asSet };
    change(rig);
    const done = await rig.connector.stock!.report(orsCount(`REFUSED-${reason}`), new MemoryJournal());
    t.equal(done.status, 'active', 'done, not a 422 for good');
    keptAllBut(t, rig, stock.id, refused);
    const [line] = [...rig.sb.state.stocktakeLines.values()];
    t.same(line.more, { ...asSet, [refused]: null }, 'its line sent again without it, all else given');
  });

t.test('a batch with its location and its campaign both gone: each left out in turn', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const stock = orsLine(rig);
  stock.more = { ...asSet };
  rig.sb.state.lineFields.locations.delete('location-shelf-a');
  rig.sb.state.lineFields.campaigns.delete('campaign-measles-2026');
  await rig.connector.stock!.report(orsCount('REFUSED-TWO'), new MemoryJournal());
  t.equal(orsLine(rig).totalNumberOfPacks, 12, 'counted once');
  t.same(orsLine(rig).more, { ...asSet, locationId: null, campaignId: null }, 'all else kept');
});

t.test('a location of the type its item is restricted to is kept', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const stock = orsLine(rig);
  stock.more = { ...asSet, locationId: 'location-cold-room' };
  rig.sb.state.lineFields.locations.get('location-cold-room')!.locationTypeId = 'location-type-cold';
  rig.sb.state.lineFields.restrictedLocationType.set('item-ors', 'location-type-cold');
  await rig.connector.stock!.report(orsCount('RESTRICTED-KEPT'), new MemoryJournal());
  t.equal(orsLine(rig).totalNumberOfPacks, 12, 'counted');
  t.same(orsLine(rig).more, { ...asSet, locationId: 'location-cold-room' }, 'every field kept');
});

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: an earlier release's bare line, its location gone from the store meanwhile: the top-up leaves it out`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      const stock = orsLine(rig);
      stock.more = { ...asSet };
      await stoppedBeforeFinalise(rig, store, 'TOP-UP-GONE');
      const [line] = [...rig.sb.state.stocktakeLines.values()];
      line.more = { locationId: null, manufactureDate: null, volumePerPack: 0 };
      rig.sb.state.lineFields.locations.delete('location-shelf-a');
      const done = await rig.connector.stock!.report(
        orsCount('TOP-UP-GONE'),
        new StoreStepJournal(store, { id: 'TOP-UP-GONE' }),
      );
      t.equal(done.status, 'active', 'done');
      keptAllBut(t, rig, stock.id, 'locationId');
    },
  );

  t.test(
    `${engine.name}: a location a storekeeper cleared on this release's line before the retry's finalise stays cleared`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      const stock = orsLine(rig);
      stock.more = { ...asSet };
      rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'reset' }, times: 1 });
      await store.recordWrite(newJob('CLEARED', { flow: 'stock', system: 'msupply', idempotencyKey: 'stock|CLEARED' }));
      const journal = new StoreStepJournal(store, { id: 'CLEARED' });
      await failure(rig.connector.stock!.report(orsCount('CLEARED'), journal));
      const [line] = [...rig.sb.state.stocktakeLines.values()];
      t.equal(line.more?.locationId, 'location-shelf-a', 'inserted with the batch shelf');
      // the storekeeper takes the batch off its shelf on the count in Open mSupply
      line.more = { ...line.more, locationId: null };
      const done = await rig.connector.stock!.report(orsCount('CLEARED'), journal);
      t.equal(done.status, 'active', 'done');
      keptAllBut(t, rig, stock.id, 'locationId');
      t.notOk(
        rig.sb.state.applied.some((a) => a.mutation === 'updateStocktakeLine'),
        'no top-up of a line this release inserted',
      );
    },
  );
}
