import t from 'tap';
import {
  expandAbbreviations,
  foldText,
  normaliseName,
  repairMojibake,
  tokenise,
} from '../../../../src/registry/match/normalise.js';
import { defaultVocabulary } from '../../../../src/registry/match/vocabulary.js';

const v = defaultVocabulary();

t.test('case, accents, punctuation and apostrophes fold to plain tokens', async (t) => {
  t.equal(foldText('Centro de Saúde  São-João'), 'centro de saude sao joao');
  t.equal(foldText("St. Mary's Hosp."), 'st marys hosp');
  t.equal(foldText('Nyang\u2019oma & Sons'), 'nyangoma and sons');
});

t.test('mojibake is repaired when the bytes are recoverable, replacement characters dropped', async (t) => {
  t.equal(repairMojibake('Centro de SaÃºde'), 'Centro de Saúde');
  t.equal(repairMojibake('Kasikeu Dispensary\ufffd'), 'Kasikeu Dispensary');
  t.equal(repairMojibake('Chõ_luõ'), 'Chõ_luõ', 'text that is not UTF-8-as-Latin-1 is left alone');
});

t.test('abbreviations expand as whole words only', async (t) => {
  t.same(expandAbbreviations(tokenise('St Mary Disp'), v), ['saint', 'mary', 'dispensary']);
  t.same(expandAbbreviations(tokenise('Stella Dispatch'), v), ['stella', 'dispatch'], 'never inside a word');
  t.same(expandAbbreviations(tokenise('Ngelehun C.H.C'), v), ['ngelehun', 'community', 'health', 'centre']);
  t.same(expandAbbreviations(tokenise('Mangua C.S'), v), ['mangua', 'centro', 'de', 'saude']);
  t.equal(normaliseName('Kilungu SDH', v).full, normaliseName('Kilungu Sub District Hospital', v).full);
  t.equal(normaliseName('Bikeke HC', v).full, normaliseName('Bikeke Health Center', v).full);
});

t.test('roman-numeral levels are kept: HC II differs from HC IV', async (t) => {
  const two = normaliseName('Lake HC II', v);
  const four = normaliseName('Lake Health Centre IV', v);
  t.equal(two.level, '2');
  t.equal(four.level, '4');
  t.not(two.full, four.full);
  t.same(two.core, ['lake'], 'the level is not part of the distinctive name');
  t.equal(normaliseName('Magunga Level IV Hospital', v).level, '4');
  t.equal(normaliseName('Vision Clinic', v).level, undefined);
});

t.test('type words are separated from the distinctive part; qualifiers set aside', async (t) => {
  const n = normaliseName('Makindu Sub-County Hospital (Kibwezi)', v);
  t.same(n.core, ['makindu']);
  t.same(n.typeTokens, ['sub', 'county', 'hospital']);
  t.same(n.qualifier, ['kibwezi']);
  t.equal(n.typeClass?.class, 'hospital');
  t.equal(normaliseName('Abdisamad Disp.', v).typeClass?.class, 'dispensary');
  t.equal(normaliseName('Unity Nursing Home', v).typeClass?.class, 'nursing-home', 'the longest phrase wins');
});

t.test('a medical store or warehouse is a supply store, not a clinic', async (t) => {
  // before, 'medical' alone made "Central Medical Store" a clinic, a type it shares with clinics
  t.equal(normaliseName('Central Medical Store', v).typeClass?.class, 'store');
  t.equal(normaliseName('Northern Regional Medical Stores', v).typeClass?.class, 'store');
  t.equal(normaliseName('Lilongwe District Warehouse', v).typeClass?.class, 'store');
  t.equal(normaliseName('Medina Medical Clinic', v).typeClass?.class, 'clinic', 'a medical clinic stays a clinic');
  t.equal(normaliseName('Kapsabet Medical Centre', v).typeClass?.class, 'clinic');
});

t.test('misspelt type words are read as the type word; distinctive names are not', async (t) => {
  t.same(normaliseName('Muthue Dispenary', v).core, ['muthue']);
  t.same(normaliseName('Bikeke Helth Centre', v).core, ['bikeke']);
  t.same(normaliseName('Medina Clinic', v).core, ['medina']);
});
