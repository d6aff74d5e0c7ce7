/**
 * A stock report journaled by a release from before the 'counts' step (its line steps record only
 * the line's id) whose finalise landed with its answer lost, and a storekeeper changed the batch's
 * pack size in Open mSupply before the retry. The retry, on the new release and the same stored
 * journal, finds the stocktake FINALISED with no counts journaled: the counts it compares are the
 * report's in the pack size each stocktake line was made with (StocktakeLineNode.packSize), so the
 * write Open mSupply applied ends done, not dead-lettered as a 409; a line finalised with another
 * count is still one. Open mSupply keeps a stocktake line's pack size only as its insert gave it
 * (stocktake_line/insert/generate.rs): a new batch's line (inserted with the item's pack size)
 * has it; a line counting a batch in stock, inserted by its stock line alone, has none, and its
 * retry cannot tell which packs it counted: a 409 still, never the count applied again.
 */
import t, { type Test } from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import type { Store } from '../../../../src/store/types.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import { GTIN, ORS, failure, startRig } from './harness.js';
import { OldReleaseJournal } from './old-release-journal.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/**
 * `tablets` of ORS reported, as a count or a change: of the seed's batch N20262 (10 packs of 50)
 * where no lot is named, else of a new batch.
 */
const report = (value: string, countType: 'snapshot' | 'difference', tablets: number, lot?: string): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value },
  status: 'active',
  countType,
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [
    {
      product: { system: GTIN, code: ORS },
      quantity: { value: tablets, unit: 'dispensing-unit' },
      ...(lot ? { lot: { number: lot, expiry: '2028-01-31' } } : {}),
    },
  ],
});

const orsLine = (rig: Rig, batch = 'N20262') =>
  [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.batch === batch)!;

/** A stock job in the store, and the old release's journal of it. */
async function oldJob(store: Store, id: string) {
  await store.recordWrite(newJob(id, { flow: 'stock', system: 'msupply', idempotencyKey: `stock|${id}` }));
  return new OldReleaseJournal(new StoreStepJournal(store, { id }));
}

for (const engine of engineCases()) {
  const landedThenPackSize = async (t: Test, value: string, tablets: number, lot?: string) => {
    const { store } = await freshStore(engine, t);
    const rig = await startRig();
    t.teardown(() => rig.close());
    // the old release's attempt: its finalise applied, the answer lost
    rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
    await failure(rig.connector.stock!.report(report(value, 'snapshot', tablets, lot), await oldJob(store, value)));
    t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'the first attempt finalised it');
    t.same(
      (await store.listSteps(value)).map((s) => s.step).sort(),
      ['insert-stocktake', 'line:0'],
      'an old-shape journal: no counts step',
    );
    orsLine(rig, lot).packSize = 70;
    return { store, rig };
  };

  t.test(
    `${engine.name}: a new batch's count whose finalise landed, the pack size changed: the retry is done`,
    { skip: engine.skip },
    async (t) => {
      const { store, rig } = await landedThenPackSize(t, 'OLD-PACK-1', 350, 'NEW-OLD-1');
      // 350 sachets went in as 7 packs of 50 (the line keeps 50); on packs of 70 they would read as 5
      const done = await rig.connector.stock!.report(
        report('OLD-PACK-1', 'snapshot', 350, 'NEW-OLD-1'),
        new StoreStepJournal(store, { id: 'OLD-PACK-1' }),
      );
      t.equal(done.status, 'active', 'the count Open mSupply applied is this write done');
      t.equal(orsLine(rig, 'NEW-OLD-1').totalNumberOfPacks, 7, 'counted once, as sent');
      t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'one stocktake');
    },
  );

  t.test(
    `${engine.name}: a batch in stock counted, the pack size changed: no pack size kept, a 409`,
    { skip: engine.skip },
    async (t) => {
      const { store, rig } = await landedThenPackSize(t, 'OLD-PACK-2', 350);
      // the release before inserted it by its stock line alone: Open mSupply kept no pack size on it
      const [line] = [...rig.sb.state.stocktakeLines.values()];
      Object.assign(line, { batch: null, expiryDate: null, packSize: null });
      const err = await failure(
        rig.connector.stock!.report(
          report('OLD-PACK-2', 'snapshot', 350),
          new StoreStepJournal(store, { id: 'OLD-PACK-2' }),
        ),
      );
      t.equal(err?.status, 409, `refused, not guessed: ${err?.message}`);
      t.equal(orsLine(rig).totalNumberOfPacks, 7, 'counted once, nothing written again');
      t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'one stocktake');
    },
  );

  t.test(
    `${engine.name}: a new batch finalised by hand with another count, the pack size changed: a 409`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'reset' }, times: 1 });
      await failure(
        rig.connector.stock!.report(
          report('OLD-PACK-3', 'snapshot', 350, 'NEW-OLD-3'),
          await oldJob(store, 'OLD-PACK-3'),
        ),
      );
      const [stocktake] = [...rig.sb.state.stocktakes.values()];
      rig.sb.state.stocktakeLinesOf(stocktake.id)[0].countedNumberOfPacks = 5;
      rig.sb.state.finaliseStocktake(stocktake);
      // 5 packs of 70 would be the 350 sachets reported; the line counted 5 packs of 50 (250)
      orsLine(rig, 'NEW-OLD-3').packSize = 70;
      const err = await failure(
        rig.connector.stock!.report(
          report('OLD-PACK-3', 'snapshot', 350, 'NEW-OLD-3'),
          new StoreStepJournal(store, { id: 'OLD-PACK-3' }),
        ),
      );
      t.equal(err?.status, 409, `a conflict: ${err?.message}`);
      t.match(String(err?.message), /lines\[0\].*counted 5 packs, not 7/);
    },
  );
}
