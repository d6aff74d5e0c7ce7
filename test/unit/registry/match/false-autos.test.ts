import t from 'tap';
import { falseAutosOf } from '../../../../bench/reconcile.js';
import { outcomeOf } from '../../../../src/registry/match/calibrate.js';
import type { Truth } from '../../../../src/registry/match/evaluate.js';
import { buildCandidateGraph, scoreGraph } from '../../../../src/registry/match/matcher.js';
import { defaultWeights } from '../../../../src/registry/match/weights.js';
import { fac, fillerFacilities } from '../../../support/match-facilities.js';

const filler = fillerFacilities();

t.test('false automatches are the autos of records without a counterpart, with their rule', async (t) => {
  const mfl = (v: string) => ({ identifiers: [{ system: 'mfl', value: v }] });
  const right = [
    fac('r0', 'Kaumu Dispensary', ['Mutha', 'Kitui']),
    fac('r1', 'Orongo Dispensary', ['Kadibo', 'Kisumu']),
    fac('r2', 'Ngomeni Health Centre', ['Voo', 'Kitui'], mfl('17')),
    ...filler,
  ];
  const left = [
    fac('l0', 'Kaumu Dispensary', ['Mutha', 'Kitui']),
    fac('l1', 'Orongo Dispensary', ['Kadibo', 'Kisumu']),
    fac('l2', 'Ngomeni Dispensary', ['Voo', 'Kitui'], mfl('17')),
    fac('l3', 'Completely Unrelated Place', ['Nowhere', 'Kitui']),
  ];
  const weights = defaultWeights();
  const scored = scoreGraph(buildCandidateGraph(left, right), weights);
  const outcome = outcomeOf(scored, weights.thresholds);
  t.same(outcome.zones.slice(0, 3), ['auto', 'auto', 'auto'], 'the exact names and the identifier are automatic');

  // The truth pairs l0 with r0 only: l1 (a recoded facility, say) and l2 have no counterpart.
  const truth: Truth = new Map([[0, 0]]);
  const found = falseAutosOf(scored, outcome, truth);
  t.same(
    found.map((f) => [f.left, f.right, f.rule, f.sameNameSameArea]),
    [
      ['Orongo Dispensary', 'Orongo Dispensary', 'exact-name-in-area', true],
      ['Ngomeni Dispensary', 'Ngomeni Health Centre', 'identifier', false],
    ],
  );
  t.ok(
    found.every((f) => Number.isFinite(f.score) && f.margin > 0),
    'each with its score and margin',
  );
  t.same(
    falseAutosOf(
      scored,
      outcome,
      new Map([
        [0, 0],
        [1, 1],
        [2, 2],
      ]),
    ),
    [],
    'none when every auto has a partner',
  );
});
