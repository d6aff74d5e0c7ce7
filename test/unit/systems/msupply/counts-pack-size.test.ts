/**
 * A stocktake line goes in with the packs of the pack size Open mSupply holds when it is sent: an
 * attempt that died after the report's counts were journaled but before its line went in, the
 * pack size changed meanwhile, must count the reported tablets, not the first plan's packs of
 * another size; and a later retry finding it finalised compares with what that line sent.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { DyingJournal } from '../../../support/dying-journal.js';
import { GTIN, ORS, failure, startRig } from './harness.js';

/** 350 tablets of ORS counted: 7 packs of the seed's 50, or 5 of 70. */
const count: StockReport = {
  identifier: { system: 'https://mobile.example.org/counts', value: 'COUNTS-PACK-SIZE-1' },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code: ORS }, quantity: { value: 350, unit: 'dispensing-unit' } }],
};

t.test('died before its line went in, the pack size changed: the line counts the tablets reported', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new DyingJournal('line:0');
  t.match(String((await failure(rig.connector.stock!.report(count, journal)))?.message), /died before line:0/);
  t.ok(journal.steps.has('counts'), 'the counts were journaled (7 packs of 50)');
  const ors = [...rig.sb.state.stockLines.values()].find(
    (l) => l.storeId === 'store-hc-north' && l.batch === 'N20262',
  )!;
  ors.packSize = 70;
  // the retry's finalise applied, its answer lost: the next retry finds it finalised
  rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
  await failure(rig.connector.stock!.report(count, journal));
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised by the retry');
  const done = await rig.connector.stock!.report(count, journal);
  t.equal(done.status, 'active', 'the last retry finds the count it sent');
  t.equal(ors.totalNumberOfPacks, 5, '5 packs of 70');
  t.equal(ors.totalNumberOfPacks * ors.packSize, 350, 'the 350 tablets reported, not 7 packs of 70');
});
