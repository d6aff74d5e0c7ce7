/**
 * A count journaled by an earlier release, its stocktake lines inserted by their stock line alone
 * (without its location, manufacture date, volume per pack, donor, manufacturer, campaign and
 * program; before that, without its batch and expiry too), not yet finalised. Open mSupply's
 * finalise writes a line's fields over its stock line's, none where the line has none
 * (stocktake/update/generate.rs). The retry after the upgrade, on the same stored journal, replays
 * the line steps (or finds a line whose insert landed with its answer lost) and finalises: each
 * line is first given the stock line's own fields it lacks (updateStocktakeLine), so the batch
 * keeps them and the count is applied once.
 */
import t, { type Test } from 'tap';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import type { StockLineMore } from '../../../../sandbox/msupply/model.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { asSet, failure, orsCount, orsLine, startRig } from './harness.js';
import { oldJob, stoppedBeforeFinalise } from './old-release-journal.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** A stocktake line as an insert by its stock line alone keeps it: volume per pack 0, the rest none. */
const bare: StockLineMore = {
  locationId: null,
  manufactureDate: null,
  volumePerPack: 0,
  donorId: null,
  manufacturerId: null,
  campaignId: null,
  programId: null,
};

type Stripped = 'fields' | 'fields, batch, expiry and pack size';

/** The stocktake's one line as the earlier release inserted it. */
function asOldReleaseInserted(rig: Rig, stripped: Stripped) {
  const [line] = [...rig.sb.state.stocktakeLines.values()];
  line.more = { ...bare };
  if (stripped !== 'fields') Object.assign(line, { batch: null, expiryDate: null, packSize: null });
}

for (const engine of engineCases()) {
  /** The earlier release's attempt, stopped by `fault`, then the retry on this release: the batch after it. */
  const retried = async (t: Test, value: string, fault: 'finalise' | 'insert answer', stripped: Stripped) => {
    const { store } = await freshStore(engine, t);
    const rig = await startRig();
    t.teardown(() => rig.close());
    const stock = orsLine(rig);
    stock.more = { ...asSet };
    const before = { batch: stock.batch, expiryDate: stock.expiryDate, packSize: stock.packSize };
    t.ok(before.batch && before.expiryDate, 'the seed batch has a batch number and an expiry');
    rig.sb.faults.add(
      fault === 'finalise'
        ? { operation: 'updateStocktake', action: { type: 'reset' }, times: 1 }
        : { operation: 'insertStocktakeLine', action: { type: 'afterApply', answer: 'reset' }, times: 1 },
    );
    await failure(rig.connector.stock!.report(orsCount(value), await oldJob(store, value)));
    t.equal(rig.sb.state.counts().finalisedStocktakes, 0, 'the earlier release did not finalise');
    t.same(
      (await store.listSteps(value)).map((s) => s.step).sort(),
      fault === 'finalise' ? ['insert-stocktake', 'line:0'] : ['insert-stocktake'],
      'its journal as it kept it',
    );
    asOldReleaseInserted(rig, stripped);
    const done = await rig.connector.stock!.report(orsCount(value), new StoreStepJournal(store, { id: value }));
    t.equal(done.status, 'active', 'done');
    t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'one stocktake, finalised');
    const after = rig.sb.state.stockLines.get(stock.id)!;
    t.equal(after.totalNumberOfPacks, 12, 'counted once: 600 sachets in packs of 50');
    t.same(
      { batch: after.batch, expiryDate: after.expiryDate, packSize: after.packSize },
      before,
      'its batch, expiry and pack size',
    );
    t.same(
      after.more,
      asSet,
      'its location, manufacture date, volume per pack, donor, manufacturer, campaign, program',
    );
  };

  for (const stripped of ['fields', 'fields, batch, expiry and pack size'] as const)
    t.test(
      `${engine.name}: lines journaled without the stock line's ${stripped}, retried: the batch keeps them`,
      { skip: engine.skip },
      (t) => retried(t, `TOP-UP-${stripped.length}`, 'finalise', stripped),
    );

  t.test(
    `${engine.name}: a line whose insert landed with its answer lost, found by the retry: topped up too`,
    { skip: engine.skip },
    (t) => retried(t, 'TOP-UP-FOUND', 'insert answer', 'fields, batch, expiry and pack size'),
  );

  t.test(
    `${engine.name}: a line's own location stays; only what it lacks is sent`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      const stock = orsLine(rig);
      stock.more = { ...asSet };
      await stoppedBeforeFinalise(rig, store, 'TOP-UP-OWN');
      const [line] = [...rig.sb.state.stocktakeLines.values()];
      // a storekeeper moved the batch to another shelf on the count in Open mSupply
      line.more = { ...bare, locationId: 'location-cold-room' };
      await rig.connector.stock!.report(orsCount('TOP-UP-OWN'), new StoreStepJournal(store, { id: 'TOP-UP-OWN' }));
      t.same(rig.sb.state.stockLines.get(stock.id)!.more, { ...asSet, locationId: 'location-cold-room' });
    },
  );

  t.test(
    `${engine.name}: a top-up whose answer was lost: the next retry finds it applied and finalises once`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      orsLine(rig).more = { ...asSet };
      await stoppedBeforeFinalise(rig, store, 'TOP-UP-LOST');
      asOldReleaseInserted(rig, 'fields');
      rig.sb.faults.add({
        operation: 'updateStocktakeLine',
        action: { type: 'afterApply', answer: 'reset' },
        times: 1,
      });
      const journal = new StoreStepJournal(store, { id: 'TOP-UP-LOST' });
      await failure(rig.connector.stock!.report(orsCount('TOP-UP-LOST'), journal));
      t.equal(rig.sb.state.counts().finalisedStocktakes, 0, 'not finalised while the top-up is unknown');
      const done = await rig.connector.stock!.report(orsCount('TOP-UP-LOST'), journal);
      t.equal(done.status, 'active', 'done');
      const topUps = rig.sb.state.applied.filter((a) => a.mutation === 'updateStocktakeLine');
      t.equal(topUps.length, 1, 'the applied top-up is not sent again');
      t.equal(orsLine(rig).totalNumberOfPacks, 12, 'counted once');
      t.same(orsLine(rig).more, asSet, 'the batch keeps its fields');
    },
  );

  t.test(
    `${engine.name}: finalised by another attempt while a top-up was on its way: done, counted once`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      orsLine(rig).more = { ...asSet };
      await stoppedBeforeFinalise(rig, store, 'TOP-UP-RACE');
      asOldReleaseInserted(rig, 'fields');
      const [stocktake] = [...rig.sb.state.stocktakes.values()];
      // the other attempt finalises after this one read the stocktake, before its top-up arrives
      const finalisedMeanwhile = {
        then(resolve: () => void) {
          rig.sb.state.finaliseStocktake(stocktake);
          resolve();
        },
      };
      const released = finalisedMeanwhile as unknown as Promise<unknown>;
      rig.sb.faults.add({ operation: 'updateStocktakeLine', action: { type: 'held', released }, times: 1 });
      const done = await rig.connector.stock!.report(
        orsCount('TOP-UP-RACE'),
        new StoreStepJournal(store, { id: 'TOP-UP-RACE' }),
      );
      t.equal(done.status, 'active', 'its refused top-up (CannotEditStocktake) reads back the finalised count');
      t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'one stocktake, finalised');
      t.equal(orsLine(rig).totalNumberOfPacks, 12, 'counted once');
    },
  );
}
