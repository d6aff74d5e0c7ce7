/**
 * Open mSupply refuses a stocktake line's insert or update naming a location not in the store, a
 * location not of the item's restricted location type, a manufacturer the store cannot see or
 * that is not a manufacturer, a campaign or program that no longer exists
 * (stocktake_line/insert|update/validate.rs, a "Bad user input" with the variant's name). A count
 * gives the stock line's own fields with its line, so a batch still naming such a one failed the
 * count for good where the numbers were fine: the refused field is left out and the line sent
 * again, the count applied, the batch keeping everything else it had; the operator is told of
 * each field left out (one warning naming the stocktake, item, batch, field and refusal).
 */
import t, { type Test } from 'tap';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import { openStore } from '../../../../src/store/index.js';
import { ConnectorSet } from '../../../../src/systems/index.js';
import type { StockLineMore } from '../../../../sandbox/msupply/model.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import { MemoryJournal, asSet, failure, orsCount, orsLine, startRig } from './harness.js';
import { stoppedBeforeFinalise } from './old-release-journal.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** A rig whose connector's log is kept: the warnings it said, in order. */
async function loggedRig() {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const rig = await startRig(
    {},
    {},
    { log: { warn: (fields, message) => warnings.push({ fields: { ...fields }, message }) } },
  );
  return Object.assign(rig, { warnings });
}

/** The warning a count that left `field` out of the ORS batch's line (refused for `reason`) should give. */
function droppedWarning(rig: Rig, field: string, reason: string, itemCode?: string) {
  const stock = orsLine(rig);
  const [stocktake] = [...rig.sb.state.stocktakes.values()];
  return {
    fields: {
      system: 'msupply',
      storeId: 'store-hc-north',
      stocktakeId: stocktake.id,
      stocktakeNumber: stocktake.stocktakeNumber,
      itemId: 'item-ors',
      ...(itemCode ? { itemCode } : {}),
      batch: stock.batch,
      stockLineId: stock.id,
      field,
      reason,
    },
    message: `msupply: a count left ${field} out of its stocktake line (Open mSupply refused it: ${reason}); finalise leaves the batch without it`,
  };
}

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

/** The stocktake line input field Open mSupply refuses, for the stock line field it came from. */
const INPUT_FIELD: Partial<Record<keyof StockLineMore, string>> = {
  locationId: 'location',
  manufacturerId: 'manufacturerId',
  campaignId: 'campaignId',
  programId: 'programId',
};

for (const [what, reason, refused, change] of refusals)
  t.test(`a batch with ${what} (${reason}): counted, the rest kept`, async (t) => {
    const rig = await loggedRig();
    t.teardown(() => rig.close());
    const stock = orsLine(rig);
    stock.more = { ...asSet };
    change(rig);
    const done = await rig.connector.stock!.report(orsCount(`REFUSED-${reason}`), new MemoryJournal());
    t.equal(done.status, 'active', 'done, not a 422 for good');
    keptAllBut(t, rig, stock.id, refused);
    const [line] = [...rig.sb.state.stocktakeLines.values()];
    t.same(line.more, { ...asSet, [refused]: null }, 'its line sent again without it, all else given');
    const item = rig.sb.state.items.get('item-ors')!;
    t.same(
      rig.warnings,
      [droppedWarning(rig, INPUT_FIELD[refused]!, reason, item.code)],
      'the operator is told once: the stocktake, item, batch, field and refusal',
    );
  });

t.test('a batch with its location and its campaign both gone: each left out in turn', async (t) => {
  const rig = await loggedRig();
  t.teardown(() => rig.close());
  const stock = orsLine(rig);
  stock.more = { ...asSet };
  rig.sb.state.lineFields.locations.delete('location-shelf-a');
  rig.sb.state.lineFields.campaigns.delete('campaign-measles-2026');
  await rig.connector.stock!.report(orsCount('REFUSED-TWO'), new MemoryJournal());
  t.equal(orsLine(rig).totalNumberOfPacks, 12, 'counted once');
  t.same(orsLine(rig).more, { ...asSet, locationId: null, campaignId: null }, 'all else kept');
  const code = rig.sb.state.items.get('item-ors')!.code;
  t.same(
    rig.warnings,
    [
      droppedWarning(rig, 'location', 'LocationDoesNotExist', code),
      droppedWarning(rig, 'campaignId', 'CampaignDoesNotExist', code),
    ],
    'one warning per field left out, in the order refused',
  );
});

t.test('the log the server hands its connectors (ConnectorSet) is the one a count warns on', async (t) => {
  const rig = await loggedRig();
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const connectors = await ConnectorSet.open(store, rig.settings, {
    warn: (fields, message) => warnings.push({ fields: { ...fields }, message }),
  });
  t.teardown(async () => {
    await connectors.close();
    await store.close();
    await rig.close();
  });
  orsLine(rig).more = { ...asSet };
  rig.sb.state.lineFields.programs.delete('program-essential');
  const [msupply] = connectors.list();
  await msupply.stock!.report(orsCount('FROM-THE-SET'), new MemoryJournal());
  t.same(
    warnings,
    [droppedWarning(rig, 'programId', 'ProgramDoesNotExist', rig.sb.state.items.get('item-ors')!.code)],
    "said on the set's log",
  );
  t.same(rig.warnings, [], "not on the rig connector's, which did not count");
});

t.test('a location of the type its item is restricted to is kept', async (t) => {
  const rig = await loggedRig();
  t.teardown(() => rig.close());
  const stock = orsLine(rig);
  stock.more = { ...asSet, locationId: 'location-cold-room' };
  rig.sb.state.lineFields.locations.get('location-cold-room')!.locationTypeId = 'location-type-cold';
  rig.sb.state.lineFields.restrictedLocationType.set('item-ors', 'location-type-cold');
  await rig.connector.stock!.report(orsCount('RESTRICTED-KEPT'), new MemoryJournal());
  t.equal(orsLine(rig).totalNumberOfPacks, 12, 'counted');
  t.same(orsLine(rig).more, { ...asSet, locationId: 'location-cold-room' }, 'every field kept');
  t.same(rig.warnings, [], 'nothing left out, nothing said');
});

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: an earlier release's bare line, its location gone from the store meanwhile: the top-up leaves it out`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await loggedRig();
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
      t.same(
        rig.warnings,
        [droppedWarning(rig, 'location', 'LocationDoesNotExist')],
        'the top-up says the field it left out (the line gives its item id only)',
      );
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
