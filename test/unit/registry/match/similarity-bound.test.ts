import t from 'tap';
import {
  compareNames,
  jaroWinklerSimilarity,
  jaroWinklerUpperBound,
  buildTokenStats,
} from '../../../../src/registry/match/similarity.js';
import { normaliseName } from '../../../../src/registry/match/normalise.js';
import { defaultVocabulary } from '../../../../src/registry/match/vocabulary.js';

const words = [
  'centr',
  'centre',
  'centro',
  'dispenary',
  'dispensary',
  'amase',
  'amaase',
  'mikongoni',
  'makongoni',
  'kisasi',
  'kisii',
  'ab',
  'ba',
  'abcd',
  'abcde',
  'x',
  'kaumu',
  'thunguri',
  'thungari',
  'st',
  'saint',
  'oleksandr',
  'saude',
];

t.test('the shared-letter bound never falls below Jaro–Winkler (so skipping by it changes nothing)', async (t) => {
  let checked = 0;
  for (const a of words) {
    for (const b of words) {
      if (a === b) continue;
      t.ok(jaroWinklerUpperBound(a, b) >= jaroWinklerSimilarity(a, b), `${a} / ${b}`);
      checked++;
    }
  }
  t.equal(jaroWinklerUpperBound('abc', 'xyz'), 0, 'no shared letter: 0');
  t.ok(checked > 400);
});

t.test('distinctive names equal once spaces are dropped are core-exact', async (t) => {
  const v = defaultVocabulary();
  const a = normaliseName('Ole Kasasi Dispensary', v);
  const b = normaliseName('Olekasasi Dispensary', v);
  const c = normaliseName('Ole Kasasii Dispensary', v);
  const stats = buildTokenStats([[a], [b], [c]]);
  t.ok(compareNames(a, b, stats).coreExact);
  t.notOk(compareNames(a, c, stats).coreExact);
});
