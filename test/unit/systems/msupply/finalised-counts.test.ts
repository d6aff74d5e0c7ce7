/**
 * A stocktake found FINALISED is this report done only if it holds this report's counts: a
 * storekeeper who finalised the mediator's stocktake in Open mSupply with other counts (before its
 * finalise step, or before a retry after a lost answer) is a 409 naming the line, never the count
 * reported applied. The counts compared are the ones this write's steps journaled as they sent them:
 * a pack size changed in Open mSupply between a landed attempt and its retry changes nothing.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { DyingJournal } from '../../../support/dying-journal.js';
import { HookedJournal } from '../../../support/hooked-journal.js';
import { GTIN, MemoryJournal, ORS, failure, startRig } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** 350 tablets of ORS counted: 7 of the seed's 10 packs of 50. */
const count: StockReport = {
  identifier: { system: 'https://mobile.example.org/counts', value: 'FINALISED-CNT-1' },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code: ORS }, quantity: { value: 350, unit: 'dispensing-unit' } }],
};

/** The storekeeper sets the mediator's line to `packs` and finalises the stocktake in Open mSupply. */
function finaliseByHand(rig: Rig, packs?: number) {
  const [stocktake] = [...rig.sb.state.stocktakes.values()];
  const [line] = rig.sb.state.stocktakeLinesOf(stocktake.id);
  if (packs !== undefined) line.countedNumberOfPacks = packs;
  rig.sb.state.finaliseStocktake(stocktake);
}

const orsPacks = (rig: Rig) =>
  [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.batch === 'N20262')!;

t.test('finalised by hand with another count just before its own finalise is a 409 naming the line', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new HookedJournal((step) => {
    if (step === 'finalise') finaliseByHand(rig, 6);
  });
  const err = await failure(rig.connector.stock!.report(count, journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.match(String(err?.message), /finalised in Open mSupply with other counts.*lines\[0\].*counted 6 packs, not 7/);
  t.equal(orsPacks(rig).totalNumberOfPacks, 6, 'Open mSupply holds the storekeeper’s count');
});

t.test('finalised by hand with the same count just before its own finalise is done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new HookedJournal((step) => {
    if (step === 'finalise') finaliseByHand(rig);
  });
  const done = await rig.connector.stock!.report(count, journal);
  t.equal(done.status, 'active', 'what Open mSupply holds is this count');
  t.equal(orsPacks(rig).totalNumberOfPacks, 7);
});

t.test('a retry finding its stocktake finalised by hand with another count is a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new DyingJournal('finalise');
  t.match(String((await failure(rig.connector.stock!.report(count, journal)))?.message), /died before finalise/);
  t.equal(rig.sb.state.stocktakeLinesOf([...rig.sb.state.stocktakes.keys()][0]).length, 1, 'stopped with its line in');
  finaliseByHand(rig, 9);
  const err = await failure(rig.connector.stock!.report(count, journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.match(String(err?.message), /counted 9 packs, not 7/);
});

t.test('a pack size changed after the finalise landed: the retry compares the packs it sent', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new MemoryJournal();
  // the finalise is applied, its answer lost
  rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'afterApply', answer: 'reset' } });
  await failure(rig.connector.stock!.report(count, journal));
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'the first attempt finalised it');
  // 350 tablets would now be 5 packs of 70: the retry must not read its own 7 packs as another count
  orsPacks(rig).packSize = 70;
  const done = await rig.connector.stock!.report(count, journal);
  t.equal(done.status, 'active', 'the retry finds this count done');
  t.equal(orsPacks(rig).totalNumberOfPacks, 7, 'counted once, as first sent');
});
