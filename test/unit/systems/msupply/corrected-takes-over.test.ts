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

/** `tablets` of ORS counted in batch `lot` (a batch the store does not hold is a new one). */
const lotCountOf = (tablets: number, lot: string, expiry?: string): StockReport => {
  const report = countOf(tablets);
  report.lines[0].lot = { number: lot, ...(expiry ? { expiry } : {}) };
  return report;
};

const orsBatch = (rig: Awaited<ReturnType<typeof startRig>>, batch: string) =>
  [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.batch === batch);

/** The stopped report under the identifier: its stocktake NEW, its line in. */
async function stopped(rig: Awaited<ReturnType<typeof startRig>>, report: StockReport) {
  const err = await failure(rig.connector.stock!.report(report, new DyingJournal('finalise')));
  if (!/died before finalise/.test(String(err?.message))) throw new Error(`not stopped: ${err?.message}`);
}

t.test('stopped counting a new batch, corrected counting another new batch: a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await stopped(rig, lotCountOf(350, 'NEW-A'));
  const err = await failure(rig.connector.stock!.report(lotCountOf(400, 'NEW-B'), new MemoryJournal('corrected-key')));
  t.ok(err instanceof ConflictError, `refused as a conflict: ${err?.message}`);
  t.match(String(err?.message), /counting other stock than item .* batch NEW-B/);
  t.equal(rig.sb.state.counts().finalisedStocktakes, 0, 'nothing finalised');
  t.notOk(orsBatch(rig, 'NEW-A'), 'batch NEW-A never got the corrected count');
});

t.test('stopped counting a batch in stock, corrected counting a new batch: a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await stopped(rig, countOf(350));
  const err = await failure(rig.connector.stock!.report(lotCountOf(400, 'NEW-C'), new MemoryJournal('corrected-key')));
  t.ok(err instanceof ConflictError, `refused as a conflict: ${err?.message}`);
  t.equal(rig.sb.state.counts().finalisedStocktakes, 0, 'nothing finalised');
  t.equal(orsBatch(rig, 'N20262')!.totalNumberOfPacks, 10, 'batch N20262 keeps its 10 packs');
});

t.test('stopped counting a new batch, corrected with another expiry: a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await stopped(rig, lotCountOf(350, 'NEW-D', '2028-01-31'));
  const err = await failure(
    rig.connector.stock!.report(lotCountOf(400, 'NEW-D', '2029-01-31'), new MemoryJournal('corrected-key')),
  );
  t.ok(err instanceof ConflictError, `refused as a conflict: ${err?.message}`);
  t.equal(rig.sb.state.counts().finalisedStocktakes, 0, 'nothing finalised');
});

t.test('stopped counting a new batch, corrected counting the same batch: its own count', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await stopped(rig, lotCountOf(350, 'NEW-E', '2028-01-31'));
  const done = await rig.connector.stock!.report(
    lotCountOf(400, 'NEW-E', '2028-01-31'),
    new MemoryJournal('corrected-key'),
  );
  t.equal(done.status, 'active', 'the corrected report is applied');
  t.equal(orsBatch(rig, 'NEW-E')?.totalNumberOfPacks, 8, 'batch NEW-E holds the corrected 400 tablets');
});

t.test("a new batch's line insert landed, its answer lost: the retry finalises it", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({ operation: 'insertStocktakeLine', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
  const journal = new MemoryJournal();
  await failure(rig.connector.stock!.report(lotCountOf(350, 'NEW-F', '2028-01-31'), journal));
  const done = await rig.connector.stock!.report(lotCountOf(350, 'NEW-F', '2028-01-31'), journal);
  t.equal(done.status, 'active', 'its own line, found there, is this write');
  t.equal(orsBatch(rig, 'NEW-F')?.totalNumberOfPacks, 7, 'batch NEW-F holds the 350 tablets once');
});
