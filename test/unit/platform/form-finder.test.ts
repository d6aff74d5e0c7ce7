// The redactor's skipping scan for known secret forms answers exactly as the alternation regex did.
import t from 'tap';
import { FormFinder } from '../../../src/platform/form-finder.js';
import { escapeRegExp } from '../../../src/platform/escape-regexp.js';
import { basicPairForms, MASK, Redactor, secretForms } from '../../../src/platform/redaction.js';

const SECRETS = ['bench-secret-Lm1', 'pässwörd/ü"x', 'ab12', '6f1c0a3e-2b7d-4c1e-9a55-0d3b2f4e8a71'];
const FORMS = [
  ...new Set([...SECRETS.flatMap((s) => secretForms(s)), ...basicPairForms('mediator', SECRETS[0])]),
].filter((form) => form.length >= 4);

const ALTERNATION = new RegExp(FORMS.map(escapeRegExp).join('|'));

/** A deterministic generator (mulberry32), so a failing text can be found again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('every form is found at every place in a text, the first and last characters included', async (t) => {
  const finder = new FormFinder(FORMS);
  const filler = '{"id":"a1b2","name":"Ba\\"sic Be\\u00e4rer x","n":[1,2]}';
  let misses = 0;
  for (const form of FORMS) {
    if (!finder.holds(form)) misses++;
    for (let at = 0; at <= filler.length; at++) {
      if (!finder.holds(filler.slice(0, at) + form + filler.slice(at))) misses++;
    }
  }
  t.equal(misses, 0);
});

t.test('a form cut by one character at either end, or with one character changed, is no match', async (t) => {
  const finder = new FormFinder(FORMS);
  const wrong: string[] = [];
  for (const form of FORMS) {
    const nearMisses = [form.slice(1), form.slice(0, -1)];
    for (let i = 0; i < form.length; i++) nearMisses.push(`${form.slice(0, i)}\u0001${form.slice(i + 1)}`);
    for (const text of nearMisses) if (finder.holds(text) !== ALTERNATION.test(text)) wrong.push(text);
  }
  t.same(wrong, []);
});

t.test('on texts built from pieces of forms, the answer is the alternation regex’s', async (t) => {
  const finder = new FormFinder(FORMS);
  const next = random(18);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  const wrong: string[] = [];
  let found = 0;
  for (let round = 0; round < 20_000; round++) {
    let text = '';
    const pieces = 1 + Math.floor(next() * 6);
    for (let p = 0; p < pieces; p++) {
      const form = pick(FORMS);
      const from = Math.floor(next() * form.length);
      const to = from + Math.floor(next() * (form.length - from + 1));
      text += next() < 0.5 ? form.slice(from, to) : pick(['"', ':', ' ', 'x', '\\', 'é', '']);
    }
    const expected = ALTERNATION.test(text);
    if (expected) found++;
    if (finder.holds(text) !== expected) wrong.push(text);
  }
  t.same(wrong, []);
  t.ok(found > 100, `some texts hold a form (${found})`);
});

t.test('texts shorter than the shortest form, and the empty text, hold none', async (t) => {
  const finder = new FormFinder(['abcd', 'wxyz1234']);
  t.notOk(finder.holds(''));
  t.notOk(finder.holds('abc'));
  t.ok(finder.holds('abcd'));
  t.ok(finder.holds('..wxyz1234'));
  t.notOk(finder.holds('wxyz123'));
  t.throws(() => new FormFinder([]), /two characters/);
});

t.test('the redactor masks a secret at the very start and the very end of a long text', async (t) => {
  const redactor = new Redactor();
  redactor.learn(SECRETS[0]);
  const middle = '{"orderCode":"ORDER-1"}'.repeat(500);
  t.equal(redactor.redact(`${SECRETS[0]}${middle}${SECRETS[0]}`), `${MASK}${middle}${MASK}`);
  t.equal(redactor.redact(middle), middle);
  t.ok(redactor.leaks(`${middle}${SECRETS[0]}`));
  t.notOk(redactor.leaks(middle));
});
