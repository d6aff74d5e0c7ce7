/**
 * A corrected stock report taking over a stopped report's identifier (the same stocktake) finds
 * that report's lines in the stocktake, still NEW: a line holding the stopped report's count must
 * be set to this report's count before the stocktake is finalised, or Open mSupply posts the old
 * count and this report is told applied with counts it never posted.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { DyingJournal } from '../../../support/dying-journal.js';
import { MemoryJournal } from '../../../support/memory-journal.js';
import { ConflictError } from '../../../../src/domain/errors.js';
import { GTIN, ORS, PARACETAMOL, failure, startRig } from './harness.js';

/** `tablets` of ORS counted (the seed's packs of 50), under one identifier. */
const countOf = (tablets: number, code = ORS): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value: 'CORRECTED-1' },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code }, quantity: { value: tablets, unit: 'dispensing-unit' } }],
});

t.test('a corrected report finds the stopped one line: it finalises its own count', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // the first report stopped before its finalise: its stocktake is NEW, its line counts 7 packs
  const first = new DyingJournal('finalise');
  t.match(String((await failure(rig.connector.stock!.report(countOf(350), first)))?.message), /died before finalise/);
  t.equal(rig.sb.state.counts().finalisedStocktakes, 0, 'nothing finalised yet');
  const done = await rig.connector.stock!.report(countOf(400), new MemoryJournal('corrected-key'));
  t.equal(done.status, 'active', 'the corrected report is applied');
  const ors = [...rig.sb.state.stockLines.values()].find(
    (l) => l.storeId === 'store-hc-north' && l.batch === 'N20262',
  )!;
  t.equal(ors.totalNumberOfPacks, 8, 'Open mSupply holds the corrected 400 tablets (8 packs of 50), not the first 7');
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'one stocktake, finalised once');
});

t.test('a corrected report whose line is for other stock than the stopped one: a 409, nothing finalised', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  t.match(
    String((await failure(rig.connector.stock!.report(countOf(350), new DyingJournal('finalise'))))?.message),
    /died/,
  );
  const err = await failure(rig.connector.stock!.report(countOf(100, PARACETAMOL), new MemoryJournal('corrected-key')));
  t.ok(err instanceof ConflictError, 'refused as a conflict');
  t.match(String(err?.message), /already holds a line for StockReport\.lines\[0\] counting other stock than item/);
  t.equal(rig.sb.state.counts().finalisedStocktakes, 0, "the stopped report's count is not posted");
});

t.test('a corrected report with fewer lines than the stopped one: a 409, the stopped line not posted', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const stopped = countOf(350);
  stopped.lines.push({
    product: { system: GTIN, code: PARACETAMOL },
    quantity: { value: 100, unit: 'dispensing-unit' },
  });
  t.match(String((await failure(rig.connector.stock!.report(stopped, new DyingJournal('finalise'))))?.message), /died/);
  const err = await failure(rig.connector.stock!.report(countOf(400), new MemoryJournal('corrected-key')));
  t.ok(err instanceof ConflictError, 'refused as a conflict');
  t.match(String(err?.message), /holds a line beyond this report's 1/);
  t.equal(rig.sb.state.counts().finalisedStocktakes, 0, "the stopped report's second line is not posted");
});
