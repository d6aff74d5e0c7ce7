import t from 'tap';
import { calibrationRuns, loadBench, type BenchOptions, type Loaded } from '../../../../bench/reconcile.js';
import { loadFacilityList } from '../../../../src/registry/facility-list.js';
import { buildCandidateGraph, scoreGraph, zonesFor } from '../../../../src/registry/match/matcher.js';
import { defaultWeights } from '../../../../src/registry/match/weights.js';
import { kenya, kenyaPresent } from '../../../support/kenya.js';

/**
 * Safe automatic matches (issue 14): propagation turns a wrong automatch into a wrong update of a
 * real facility, so the rules that fire on records without a counterpart are checked on the
 * Kenya training lists, and the false-auto ceiling on one fixed seeded county split.
 */
if (!kenyaPresent) {
  t.comment('contract tier skipped: ../shared/fixtures not found');
  t.pass('skipped');
} else {
  // runBenchmark's calibrations on the lists and candidate graph built once for the file (each
  // runBenchmark built them again, and ran the full lists and the GOFR baseline, unused here)
  let loaded: Loaded | undefined;
  const calibrated = (opts: BenchOptions) => calibrationRuns((loaded ??= loadBench(kenya)), opts);
  t.test('no automatic match on an exact-name tie or on a weak name below the main threshold', async (t) => {
    const load = (file: string, system: string) => loadFacilityList(file, { dropColumns: [kenya.key], system }).records;
    const weights = defaultWeights();
    const th = weights.thresholds;
    const scored = scoreGraph(buildCandidateGraph(load(kenya.left, 'left'), load(kenya.right, 'right')), weights);
    const zones = zonesFor(scored, th);
    const picks = scored.picks.map((p, li) => (p ? { ...p, zone: zones[li] } : undefined)).filter((p) => !!p);

    const exactTies = picks.filter((p) => p.candidate.deterministic === 'exact-name-in-area' && p.margin <= 0);
    t.ok(exactTies.length > 0, `the lists hold exact-name ties (${exactTies.length})`);
    t.same(
      exactTies.filter((p) => p.zone === 'auto').length,
      0,
      'an exact name that another candidate scores as high as is a question for review',
    );

    const weakClear = picks.filter(
      (p) =>
        ['s78', 'low'].includes(p.candidate.comparison.levels.name) &&
        !p.candidate.deterministic &&
        p.candidate.score < th.auto &&
        p.candidate.score >= th.clearAuto! &&
        p.margin >= th.clearMargin!,
    );
    t.ok(weakClear.length > 0, `weak names far ahead of their competitors exist (${weakClear.length})`);
    t.same(weakClear.filter((p) => p.zone === 'auto').length, 0, 'none is auto-matched by the clear-winner rule');
  });

  t.test('unseen counties: false automatches on records without a counterpart within the ceiling', async (t) => {
    // Seed 9, first 4 halvings (8 unseen halves): under the previous policy the worst half measured
    // falseAutoOnUnmatched .0366 (9 of 246 records without a counterpart); now .0285.
    const rs = calibrated({ cvRepeats: 4, seed: 9 }).repeatedSplits!;
    t.comment(JSON.stringify(rs.spread));
    t.ok(
      rs.spread.falseAutoOnUnmatched.max <= 0.03,
      `worst falseAutoOnUnmatched ${rs.spread.falseAutoOnUnmatched.max}`,
    );
    t.ok(rs.spread.autoPrecision.min >= 0.99, `worst autoPrecision ${rs.spread.autoPrecision.min}`);
    t.ok(rs.spread.autoRecall.min >= 0.92, `worst autoRecall ${rs.spread.autoRecall.min}`);
    t.ok(rs.spread.hardRecall.min >= 0.5, `worst hardRecall ${rs.spread.hardRecall.min}`);
  });

  t.test(
    'registry records registered after the 2014 list: the worst unseen half within .03 on two seeds',
    async (t) => {
      // The judge's protocol (bench --cv-repeats 10, seeds 1 and 2: 40 unseen halves). Without the
      // list's date (the rule off) the same halves measure a worst .0355 (seed 1) and .0232 (seed 2).
      t.equal(kenya.leftAsOf, '2014-05-12', "the bench gives the matcher KenyaEMR's list date");
      for (const seed of [1, 2]) {
        const rs = calibrated({ cvRepeats: 10, seed }).repeatedSplits!;
        t.comment(`seed ${seed}: ${JSON.stringify(rs.spread)}`);
        t.ok(
          rs.spread.falseAutoOnUnmatched.max <= 0.03,
          `seed ${seed}: worst false auto ${rs.spread.falseAutoOnUnmatched.max}`,
        );
        t.ok(rs.spread.autoPrecision.min >= 0.99, `seed ${seed}: worst autoPrecision ${rs.spread.autoPrecision.min}`);
        t.ok(rs.spread.autoRecall.min >= 0.92, `seed ${seed}: worst autoRecall ${rs.spread.autoRecall.min}`);
        t.ok(rs.spread.hardRecall.min >= 0.5, `seed ${seed}: worst hardRecall ${rs.spread.hardRecall.min}`);
      }
    },
  );
}
