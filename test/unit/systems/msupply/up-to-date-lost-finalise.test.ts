/**
 * A count whose retry brings its line up to date after a pack size change (the stock moved, so
 * Open mSupply refused the finalise on a stale snapshot) sets the line in today's packs: 5 packs
 * of 70 for the 350 tablets the first attempt journaled as 7 packs of 50. That finalise landed and
 * its answer was lost: the next retry finds the stocktake FINALISED with the count it sent, in
 * other packs, and is done, not a 409 comparing 5 packs with 7.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import type { MsupplyFaultAction } from '../../../../sandbox/msupply/faults.js';
import { DyingJournal } from '../../../support/dying-journal.js';
import { GTIN, ORS, failure, startRig } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** `tablets` of ORS, a snapshot or a difference (the seed: 10 packs of 50 of batch N20262). */
const countOf = (value: string, tablets: number, countType: 'snapshot' | 'difference'): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value },
  status: 'active',
  countType,
  ...(countType === 'difference' ? { operation: 'subtraction' as const } : {}),
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code: ORS }, quantity: { value: tablets, unit: 'dispensing-unit' } }],
});

const orsLine = (rig: Rig) =>
  [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.batch === 'N20262')!;

/**
 * The finalise after the line is brought up to date applies and loses its answer: armed when the
 * snapshot's update arrives (a thenable the sandbox awaits then), so the first finalise, refused
 * on the stale snapshot, answers as Open mSupply does.
 */
function loseTheFinaliseAfterUpToDate(rig: Rig) {
  const armed = {
    then(resolve: () => void) {
      rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
      resolve();
    },
  };
  const held = { type: 'held', released: armed as unknown as Promise<unknown> } satisfies MsupplyFaultAction;
  rig.sb.faults.add({ operation: 'updateStocktakeLine', action: held, times: 1 });
}

/** First attempt dies before its finalise; then a pack size of 70 and a pack dispensed; the retry's finalise lost. */
async function finalisedWithAnswerLost(rig: Rig, report: StockReport) {
  const journal = new DyingJournal('finalise');
  const first = await failure(rig.connector.stock!.report(report, journal));
  if (!/died before finalise/.test(String(first?.message))) throw first;
  const ors = orsLine(rig);
  ors.packSize = 70;
  ors.totalNumberOfPacks -= 1;
  ors.availableNumberOfPacks -= 1;
  loseTheFinaliseAfterUpToDate(rig);
  const lost = await failure(rig.connector.stock!.report(report, journal));
  if (!lost || rig.sb.state.counts().finalisedStocktakes !== 1) throw lost ?? new Error('the retry did not fail');
  return journal;
}

t.test('a count brought up to date in new packs, its finalise answer lost: done on the next retry', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const report = countOf('UP-TO-DATE-LOST-1', 350, 'snapshot');
  const journal = await finalisedWithAnswerLost(rig, report);
  const ors = orsLine(rig);
  t.equal(ors.totalNumberOfPacks * ors.packSize, 350, 'the 350 tablets landed (5 packs of 70)');
  const done = await rig.connector.stock!.report(report, journal);
  t.equal(done.status, 'active', 'the accepted count that landed ends done');
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised once');
  t.equal(ors.totalNumberOfPacks * ors.packSize, 350);
});

t.test('a difference brought up to date in new packs, its finalise answer lost: done on the next retry', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // 100 tablets taken: 2 packs of 50 when planned, 100/70 packs of 70 when brought up to date
  const report = countOf('UP-TO-DATE-LOST-2', 100, 'difference');
  const journal = await finalisedWithAnswerLost(rig, report);
  const ors = orsLine(rig);
  const left = ors.totalNumberOfPacks * ors.packSize;
  t.ok(Math.abs(left - (9 * 70 - 100)) < 1e-6, `the 100 tablets taken from the 9 packs of 70 left: ${left}`);
  const done = await rig.connector.stock!.report(report, journal);
  t.equal(done.status, 'active', 'the accepted change that landed ends done');
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised once');
});

t.test('finalised by hand with other tablets after the pack size change: still a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const report = countOf('UP-TO-DATE-LOST-3', 350, 'snapshot');
  const journal = await finalisedWithAnswerLost(rig, report);
  const stocktake = [...rig.sb.state.stocktakes.values()].find((s) => s.status === 'FINALISED')!;
  const line = [...rig.sb.state.stocktakeLines.values()].find((l) => l.stocktakeId === stocktake.id)!;
  line.countedNumberOfPacks = 6;
  const err = await failure(rig.connector.stock!.report(report, journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.match(String(err?.message), /lines\[0\].*counted 6 packs, not 7/);
  t.match(String(err?.message), /packs of 70 there, of 50 in this report: 420 units, not 350/, 'said in units too');
});
