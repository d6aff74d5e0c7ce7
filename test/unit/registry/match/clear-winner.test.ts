import t from 'tap';
import { clearWinnerEligible, isClearWinner } from '../../../../src/registry/match/clear-winner.js';
import type { FeatureLevels } from '../../../../src/registry/match/features.js';
import { normaliseName } from '../../../../src/registry/match/normalise.js';
import { defaultVocabulary } from '../../../../src/registry/match/vocabulary.js';

const base: FeatureLevels = {
  name: 'core-exact',
  rarity: 'exact:df3-10',
  type: 'core:adjacent',
  level: 'missing',
  area: 'same',
  subArea: 'shared',
  qualifier: 'missing',
  distance: 'missing',
  identifier: 'missing',
  status: 'same',
};
const thresholds = { auto: 6, margin: 0, review: -1, clearAuto: 4, clearMargin: 4 };

t.test('an upgrade (dispensary → health centre) far ahead of every competitor is a clear winner', async (t) => {
  t.ok(isClearWinner(4.4, 10, base, thresholds));
  t.notOk(isClearWinner(4.4, 3, base, thresholds), 'a close competitor keeps it in review');
  t.notOk(isClearWinner(3.9, 10, base, thresholds), 'below the relaxed score it stays in review');
  t.notOk(isClearWinner(4.4, 10, base, { auto: 6, margin: 0, review: -1 }), 'rule off when absent');
});

t.test('a type or top-level area that contradicts the pick is never rescued by a margin', async (t) => {
  t.notOk(clearWinnerEligible({ ...base, type: 'core:different' }), 'clinic vs dispensary of the same village');
  t.notOk(clearWinnerEligible({ ...base, type: 'different' }));
  t.notOk(clearWinnerEligible({ ...base, area: 'different' }), 'namesake in another county');
  t.ok(clearWinnerEligible({ ...base, type: 'missing', area: 'missing' }), 'unknown is not contradiction');
  t.notOk(isClearWinner(5.5, Infinity, { ...base, type: 'core:different' }, thresholds));
});

t.test('a name that only shares a word is never a clear winner, however wide its margin', async (t) => {
  // "Kapsabet Medicare Centre" / "Kapsabet Eye Care": the town's name, nothing else.
  const weak: FeatureLevels = { ...base, name: 's78', rarity: 'weak:df3-10', type: 'same' };
  t.notOk(clearWinnerEligible(weak));
  t.notOk(clearWinnerEligible({ ...weak, name: 'low', rarity: 'weak:df1-2' }));
  t.notOk(isClearWinner(5.9, Infinity, weak, thresholds));
  t.ok(clearWinnerEligible({ ...weak, name: 's85', rarity: 'fuzzy:df3-10' }), 'a fuzzy name still may be');
  t.ok(isClearWinner(5.9, 10, { ...weak, name: 's95', rarity: 'fuzzy:df1-2' }, thresholds));
});

t.test('hospital tiers renamed with the administrative level normalise to one name', async (t) => {
  const v = defaultVocabulary();
  const full = (s: string) => normaliseName(s, v).full;
  t.equal(full('Bamba Sub-District Hospital'), full('Bamba Sub-County Hospital'));
  t.equal(full('Lamu District Hospital'), full('Lamu County Referral Hospital'));
  t.equal(full('Kilifi SDH'), full('Kilifi Sub County Hospital'));
  t.not(full('Bamba Sub-District Hospital'), full('Bamba Health Centre'));
});
