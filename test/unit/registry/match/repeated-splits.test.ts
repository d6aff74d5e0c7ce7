import t from 'tap';
import { meetsLimits, randomHalvings } from '../../../../bench/reconcile.js';
import type { BenchmarkFigures } from '../../../../src/registry/match/evaluate.js';

const areas = Array.from({ length: 28 }, (_, i) => `county-${String(i).padStart(2, '0')}`);

t.test('random halvings partition the areas into two halves', async (t) => {
  const halvings = randomHalvings(areas, 5, 42);
  t.equal(halvings.length, 5);
  for (const [a, b] of halvings) {
    t.equal(a.length, 14);
    t.equal(b.length, 14);
    t.same([...a, ...b].sort(), areas, 'every area in exactly one half');
  }
  t.ok(new Set(halvings.map(([a]) => a.join())).size > 1, 'the repeats draw different partitions');
});

t.test('the same seed draws the same partitions, another seed others', async (t) => {
  t.same(randomHalvings(areas, 4, 7), randomHalvings(areas, 4, 7));
  t.notSame(randomHalvings(areas, 4, 7), randomHalvings(areas, 4, 8));
  t.same(
    randomHalvings(areas, 4, 7).slice(0, 2),
    randomHalvings(areas, 2, 7),
    'more repeats extend, never reshuffle, the first ones',
  );
});

t.test('meetsLimits applies every limit of the issue, bounds included', async (t) => {
  const ok: BenchmarkFigures = {
    autoPrecision: 0.99,
    autoRecall: 0.92,
    hardRecall: 0.5,
    assistedRecall: 0.97,
    falseAutoOnUnmatched: 0.03,
    reviewShare: 0.15,
    autoMatches: 0,
    reviewQueue: 0,
    truePairs: 0,
    hardPairs: 0,
    unmatchedLeft: 0,
  };
  t.ok(meetsLimits(ok), 'exactly at every limit');
  t.notOk(meetsLimits({ ...ok, autoPrecision: 0.9899 }));
  t.notOk(meetsLimits({ ...ok, autoRecall: 0.9199 }));
  t.notOk(meetsLimits({ ...ok, hardRecall: 0.4999 }));
  t.notOk(meetsLimits({ ...ok, assistedRecall: 0.9699 }));
  t.notOk(meetsLimits({ ...ok, falseAutoOnUnmatched: 0.0301 }));
  t.notOk(meetsLimits({ ...ok, reviewShare: 0.1501 }));
});
