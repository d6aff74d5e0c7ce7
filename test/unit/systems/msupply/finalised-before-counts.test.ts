/**
 * A write journaled before the stocktake's counts were (a job in flight across the upgrade that
 * added the 'counts' step) whose finalise landed with its answer lost: its retry finds the
 * stocktake FINALISED with no counts in its journal. The counts it compares with are this report's
 * as planned on the stock before the stocktake, never a plan on the stock after it: a change that
 * took the batch's last packs, planned again, would leave less than nothing and refuse the write
 * for good (dead-lettered) though Open mSupply applied it.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { GTIN, MemoryJournal, ORS, failure, startRig } from './harness.js';

/** A journal as the outbox kept one before the 'counts' step existed: that step is never recorded. */
class JournalBeforeCounts extends MemoryJournal {
  override run<T>(step: string, action: () => Promise<T>): Promise<T> {
    return step === 'counts' ? action() : super.run(step, action);
  }
}

/** All 10 packs of the seed's ORS batch N20262 taken out. */
const takeAll: StockReport = {
  identifier: { system: 'https://mobile.example.org/counts', value: 'BEFORE-COUNTS-1' },
  status: 'active',
  countType: 'difference',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code: ORS }, quantity: { value: -10, unit: 'pack' } }],
};

type Rig = Awaited<ReturnType<typeof startRig>>;
const orsPacks = (rig: Rig) =>
  [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.batch === 'N20262')!;

/** The first attempt's finalise applied, its answer lost; the retry under the same journal. */
async function landedThenRetried(rig: Rig, report: StockReport) {
  const journal = new JournalBeforeCounts();
  rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
  await failure(rig.connector.stock!.report(report, journal));
  return rig.connector.stock!.report(report, journal);
}

t.test('a change that took the last packs, its finalise landed: the retry finds it done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  t.equal(orsPacks(rig).totalNumberOfPacks, 10, 'the seed holds 10 packs');
  const done = await landedThenRetried(rig, takeAll);
  t.equal(done.status, 'active', 'the change applied once is this write done');
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'one stocktake');
  t.equal(orsPacks(rig).totalNumberOfPacks, 0, 'taken once');
});

t.test('the same, finalised by hand with another change: still a 409 naming the line', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new JournalBeforeCounts();
  rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'reset' }, times: 1 });
  await failure(rig.connector.stock!.report(takeAll, journal));
  const [stocktake] = [...rig.sb.state.stocktakes.values()];
  const [line] = rig.sb.state.stocktakeLinesOf(stocktake.id);
  line.countedNumberOfPacks = 4;
  rig.sb.state.finaliseStocktake(stocktake);
  const err = await failure(rig.connector.stock!.report(takeAll, journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.match(String(err?.message), /lines\[0\].*changed by -6 packs.*not -10/);
});
