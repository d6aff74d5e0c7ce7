import t from 'tap';
import { calibrationRuns, loadBench, type BenchOptions, type Loaded } from '../../../../bench/reconcile.js';
import { CALIBRATION_POLICY } from '../../../../src/registry/match/calibrate.js';
import { kenya, kenyaPresent } from '../../../support/kenya.js';

if (!kenyaPresent) {
  t.comment('contract tier skipped: ../shared/fixtures not found');
  t.pass('skipped');
} else {
  // runBenchmark's calibrations on the lists and candidate graph built once for the file (each
  // runBenchmark built them again, most of its time)
  let loaded: Loaded | undefined;
  const calibrated = (opts: BenchOptions) => calibrationRuns((loaded ??= loadBench(kenya)), opts);
  t.test(
    'repeated county splits: deterministic for a seed, and the calibration generalises to unseen counties',
    async (t) => {
      const a = calibrated({ cvRepeats: 2, seed: 5 }).repeatedSplits!;
      // b on lists loaded and a graph built again: the whole run is deterministic, the graph's
      // build included, not only the calibration on one graph
      const b = calibrationRuns(loadBench(kenya), { cvRepeats: 2, seed: 5 }).repeatedSplits!;
      t.equal(a.measurements.length, 4, 'each halving measured both ways');
      t.same(a.spread, b.spread, 'same seed, same figures, graph built again');
      for (const m of a.measurements) {
        t.same(
          [...m.calibratedOn, ...m.measuredOn].sort(),
          [...new Set([...m.calibratedOn, ...m.measuredOn])].sort(),
          'halves are disjoint',
        );
      }
      t.comment(JSON.stringify(a.spread));
      // The limits with no slack must hold on every unseen half; the rest at least in the median.
      t.ok(a.spread.autoPrecision.min >= 0.99, `worst autoPrecision ${a.spread.autoPrecision.min}`);
      t.ok(a.spread.assistedRecall.min >= 0.97, `worst assistedRecall ${a.spread.assistedRecall.min}`);
      t.ok(a.spread.autoRecall.median >= 0.92 && a.spread.hardRecall.median >= 0.5, 'median auto and hard recall');
      t.ok(
        a.spread.falseAutoOnUnmatched.median <= 0.03 && a.spread.reviewShare.median <= 0.15,
        'median false auto and review share',
      );
    },
  );

  t.test('unreachable targets stop at the auto ceiling instead of climbing to the noise', async (t) => {
    const strict = { ...CALIBRATION_POLICY, PRECISION_FLOOR: 1, FALSE_AUTO_CEILING: 0 };
    const cv = calibrated({ cv: true, policy: strict }).crossValidation!;
    for (const fold of cv) {
      t.equal(fold.thresholds.auto, CALIBRATION_POLICY.AUTO_CEILING);
      t.equal(fold.thresholds.margin, CALIBRATION_POLICY.MIN_MARGIN);
      t.equal(
        fold.thresholds.clearAuto,
        CALIBRATION_POLICY.AUTO_FLOOR - CALIBRATION_POLICY.CLEAR_RELAX,
        'clear winner anchored to the floor',
      );
      t.ok(fold.figures.hardRecall >= 0.5, `hard recall on the other half ${fold.figures.hardRecall}`);
    }
  });

  t.test('the clear-winner guard can switch the rule off; the shipped policy keeps it on Kenya', async (t) => {
    const picky = { ...CALIBRATION_POLICY, CLEAR_ADDED_FALSE_AUTO: -1 };
    const cv = calibrated({ cv: true, policy: picky }).crossValidation!;
    for (const fold of cv) t.equal(fold.thresholds.clearAuto, undefined);
    const shipped = calibrated({ cv: true }).crossValidation!;
    for (const fold of shipped) t.equal(fold.thresholds.clearAuto, 4, 'kept under the shipped policy');
  });
}
