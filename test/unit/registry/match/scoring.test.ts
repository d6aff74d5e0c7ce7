import t from 'tap';
import { assignOneToOne } from '../../../../src/registry/match/assign.js';
import { FEATURE_LEVELS, FEATURES } from '../../../../src/registry/match/features.js';
import { matchFacilities } from '../../../../src/registry/match/matcher.js';
import { compareNames, buildTokenStats, jaroWinklerSimilarity } from '../../../../src/registry/match/similarity.js';
import { normaliseName } from '../../../../src/registry/match/normalise.js';
import { defaultVocabulary } from '../../../../src/registry/match/vocabulary.js';
import { defaultWeights, levelWeight } from '../../../../src/registry/match/weights.js';
import { fac, fillerFacilities } from '../../../support/match-facilities.js';

const w = defaultWeights();
const v = defaultVocabulary();

t.test('weights table is complete and validated at load', async (t) => {
  for (const f of FEATURES)
    for (const level of FEATURE_LEVELS[f]) if (level !== 'missing') t.ok(w.features[f][level], `${f}/${level}`);
  t.ok(w.thresholds.auto > w.thresholds.review, 'auto above review');
});

t.test('scoring is monotone in the evidence', async (t) => {
  const name = FEATURE_LEVELS.name.map((l) => levelWeight(w, 'name', l));
  for (let i = 1; i < name.length - 1; i++)
    t.ok(name[i - 1] >= name[i] || i === 5, `name ${FEATURE_LEVELS.name[i - 1]} ≥ ${FEATURE_LEVELS.name[i]}`);
  t.ok(name[0] > name[name.length - 1]);
  const dist = ['d0.5', 'd2', 'd10', 'd25', 'far'].map((l) => levelWeight(w, 'distance', l));
  for (let i = 1; i < dist.length; i++) t.ok(dist[i - 1] > dist[i], 'closer is stronger evidence');
  t.ok(levelWeight(w, 'identifier', 'same') > 0 && levelWeight(w, 'identifier', 'different') < 0);
  t.ok(levelWeight(w, 'area', 'same') > levelWeight(w, 'area', 'different'));
  t.ok(levelWeight(w, 'type', 'same') > levelWeight(w, 'type', 'different'));
  t.ok(
    levelWeight(w, 'rarity', 'exact:df1-2') > levelWeight(w, 'rarity', 'exact:df11-50'),
    'a shared unique name says more than a common one',
  );
  t.equal(levelWeight(w, 'distance', 'missing'), 0, 'missing data is no evidence');
});

t.test('name similarity is term-frequency aware and rewards closer names', async (t) => {
  const stats = buildTokenStats([
    ...Array.from({ length: 50 }, (_, i) => [normaliseName(`Saint Kiprono${i} Clinic`, v)]),
    [normaliseName('Saint Kaumu Clinic', v)],
    [normaliseName('Saint Kaumo Clinic', v)],
    [normaliseName('Saint Tumaini Clinic', v)],
  ]);
  const n = (s: string) => normaliseName(s, v);
  const typo = compareNames(n('Saint Kaumu Clinic'), n('Saint Kaumo Clinic'), stats).similarity;
  const rareDiffers = compareNames(n('Saint Kaumu Clinic'), n('Saint Tumaini Clinic'), stats).similarity;
  t.ok(typo > rareDiffers, 'sharing the rare word beats sharing the common one');
  t.ok(
    compareNames(n('Kaumu Dispensary'), n('Kaumu Health Centre'), stats).coreExact,
    'type words do not hide the same core',
  );
  t.ok(jaroWinklerSimilarity('abcdx', 'abcdy') < 0.93, 'prefix bonus capped at four characters');
});

t.test('one-to-one assignment: each record used once, best pairs first, forced pairs first', async (t) => {
  const pairs = [
    { left: 0, right: 0, score: 10 },
    { left: 1, right: 0, score: 9 },
    { left: 1, right: 1, score: 5 },
    { left: 2, right: 1, score: 4 },
  ];
  const a = assignOneToOne(pairs);
  t.equal(a.get(0)?.right, 0);
  t.equal(a.get(1)?.right, 1);
  t.notOk(a.has(2), 'left 2 loses right 1 to a better pair');
  const forced = assignOneToOne(pairs, [{ left: 1, right: 0, score: 9 }]);
  t.equal(forced.get(1)?.right, 0);
  t.equal(forced.get(0), undefined);
});

t.test(
  'end to end: abbreviations auto-match, duplicates across areas are told apart by area, no-match stays out',
  async (t) => {
    const filler = fillerFacilities();
    const right = [
      fac('r1', 'Abdisamad Dispensary', ['Sankuri', 'Garissa']),
      fac('r2', 'Health Centre II', ['Lake', 'Northern']),
      fac('r3', 'Health Centre II', ['Beach', 'Southern']),
      ...filler,
    ];
    const left = [
      fac('l1', 'Abdisamad Disp.', ['Sankuri', 'Garissa']),
      fac('l2', 'Health Centre II', ['Beach', 'Southern']),
      fac('l3', 'Completely Unrelated Place', ['Nowhere', 'Garissa']),
    ];
    const r = matchFacilities(left, right);
    const by = new Map(r.decisions.map((d) => [d.leftId, d]));
    t.equal(by.get('l1')?.zone, 'auto');
    t.equal(by.get('l1')?.match?.rightId, 'r1');
    t.equal(by.get('l2')?.match?.rightId, 'r3', 'same name in another area is not picked');
    t.equal(by.get('l3')?.zone, 'no-match');
    t.ok(
      by.get('l1')!.match!.reasons.some((x) => x.field === 'name'),
      'reasons explain the score',
    );
  },
);

t.test('identifiers count only within the same system, and are sanity-checked by name', async (t) => {
  const right = [
    fac('r1', 'Kaumu Dispensary', ['A', 'Kitui'], { identifiers: [{ system: 'mfl', value: '123' }] }),
    fac('r2', 'Ngomeni Clinic', ['A', 'Kitui'], { identifiers: [{ system: 'dhis2', value: '555' }] }),
  ];
  const left = [
    fac('l1', 'Kaumu Health Centre', ['B', 'Kitui'], { identifiers: [{ system: 'mfl', value: '123' }] }),
    fac('l2', 'Totally Other Name', ['B', 'Kitui'], { identifiers: [{ system: 'openlmis', value: '555' }] }),
  ];
  const r = matchFacilities(left, right);
  t.equal(r.decisions[0].deterministic, 'identifier');
  t.equal(r.decisions[0].match?.rightId, 'r1');
  t.not(r.decisions[1].zone, 'auto', 'equal values in different systems prove nothing');
});
