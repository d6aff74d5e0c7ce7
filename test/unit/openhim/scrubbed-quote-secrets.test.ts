/**
 * OpenHIM masking scrubs the call's secrets out of each recorded body as text. A secret holding
 * `"` (`a","b`) can match a JSON body across a string's bounds: by coincidence (the end of one
 * value and the start of the next key) or because an upstream concatenated it into JSON
 * (`["bad a","b"]`). Looked for only inside each string, such a secret stood in the body in
 * clear; masked as one stretch, its mask took the quotes with it and the body was no longer JSON.
 * It is now masked in each string it touches, the quotes and punctuation kept.
 *
 * Fuzz: properties, no reference: random JSON bodies over a small alphabet and secrets (half of
 * them a window of the body around a quote); each output parses, holds no form of a secret, keeps
 * the body's shape, and keeps every value no match touches as it was.
 */
import t from 'tap';
import { maskBodyText, scrubSecretValues } from '../../../src/openhim/masking.js';
import { MASK } from '../../../src/platform/redaction.js';
import { random } from '../../support/seeded-random.js';

const SECRET = 'a","b';

t.test('a secret holding a quote across two strings of a JSON body: masked in each, still JSON', async (t) => {
  t.equal(scrubSecretValues('["bad a","b"]', [SECRET]), `["bad ${MASK}","${MASK}"]`, 'concatenated into JSON');
  t.equal(scrubSecretValues('{"x":"a","b":"c"}', [SECRET]), `{"x":"${MASK}","${MASK}":"c"}`, 'by coincidence');
  t.equal(scrubSecretValues('["a",1,"b"]', ['a",1,"b']), `["${MASK}","${MASK}","${MASK}"]`, 'a number between');
  const body = JSON.stringify({ x: 'a', b: 'c', note: `said ${SECRET} twice` });
  const expected = { x: MASK, [MASK]: 'c', note: `said ${MASK} twice` };
  t.same(JSON.parse(scrubSecretValues(body, [SECRET])), expected, 'a key and values');
  t.same(JSON.parse(maskBodyText(body, 'application/json', [SECRET])), expected, 'through maskBodyText');
  const long = JSON.stringify(['z'.repeat(600), 'bad a', 'b']);
  t.equal(scrubSecretValues(long, [SECRET]), `["${'z'.repeat(600)}","bad ${MASK}","${MASK}"]`, 'a long body');
  t.equal(scrubSecretValues(`plain ${SECRET} text`, [SECRET]), `plain ${MASK} text`, 'text that is not JSON');
});

t.test('a body that is a JSON string alone, and a secret starting with a backslash the string ends with', async (t) => {
  t.equal(scrubSecretValues('"abcd"', ['"abcd']), `"${MASK}"`, "across the string's own quote");
  // the key `n1\` ends with the secret's backslash: written `\\` in the text, masked whole
  const body = JSON.stringify({ k: { 'n1\\': {} } });
  t.equal(scrubSecretValues(body, ['\\":{']), `{"k":{"n1${MASK}":{}}}`, 'a short body');
  const long = JSON.stringify(['z'.repeat(600), { 'n1\\': {} }]);
  t.equal(scrubSecretValues(long, ['\\":{']), `["${'z'.repeat(600)}",{"n1${MASK}":{}}]`, 'a long body');
});

/** A JSON text's scalars (strings with their quotes, numbers, literals) and its shape without them. */
function scalarsOf(text: string): { shape: string; scalars: { start: number; end: number; text: string }[] } {
  const scalars: { start: number; end: number; text: string }[] = [];
  let shape = '';
  for (let at = 0; at < text.length;) {
    const start = at;
    if (text[at] === '"') {
      for (at++; text[at] !== '"'; at++) if (text[at] === '\\') at++;
      at++;
    } else if (/[\w+.-]/.test(text[at])) {
      while (at < text.length && /[\w+.-]/.test(text[at])) at++;
    } else {
      if (!/\s/.test(text[at])) shape += text[at];
      at++;
      continue;
    }
    shape += 'v';
    scalars.push({ start, end: at, text: text.slice(start, at) });
  }
  return { shape, scalars };
}

/** Each secret as given and JSON-escaped: the forms that must not be left in a body. */
function formsOf(secrets: readonly string[]): string[] {
  return [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
}

/** Where any form occurs in the text. */
function occurrences(text: string, forms: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (const form of forms) {
    for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) out.push([at, at + form.length]);
  }
  return out;
}

t.test(
  'random JSON bodies and secrets of a small alphabet: JSON, no secret left, shape and untouched values kept',
  async (t) => {
    const alphabet = ['a', 'b', '"', '\\', ',', ':', 'n', '1'];
    const next = random(33);
    const pick = (n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const value = (depth: number): unknown => {
      const roll = next();
      if (depth < 2 && roll < 0.2) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      if (depth < 2 && roll < 0.4) {
        return Object.fromEntries(
          Array.from({ length: Math.floor(next() * 4) }, () => [pick(Math.floor(next() * 5)), value(depth + 1)]),
        );
      }
      if (roll < 0.5) return [1, 11, -1.5, true, null][Math.floor(next() * 5)];
      return pick(Math.floor(next() * 8));
    };
    /** A window of the body around one of its quotes (a match across strings' bounds), or random text. */
    const secretFor = (body: string) => {
      const quotes = [...body.matchAll(/"/g)].map((m) => m.index);
      const length = 4 + Math.floor(next() * 4);
      if (next() < 0.5 || quotes.length === 0) return pick(length);
      const at = Math.max(0, quotes[Math.floor(next() * quotes.length)] - Math.floor(next() * length));
      return body.slice(at, at + length);
    };
    const failures = { notJson: 0, secretLeft: 0, shape: 0, changed: 0 };
    let across = 0;
    const report = (kind: keyof typeof failures, what: string) => {
      if (++failures[kind] <= 3) t.fail(`${kind}: ${what}`);
    };
    for (let i = 0; i < 6000; i++) {
      let body = JSON.stringify(value(0));
      if (next() < 0.25) body = JSON.stringify(['z'.repeat(600), JSON.parse(body)]);
      // a secret made only of JSON's punctuation cannot be masked away while the body stays JSON
      const secrets = [secretFor(body), secretFor(body)].filter((s) => s.length >= 4 && /[^",:[\]{}]/.test(s));
      const out = scrubSecretValues(body, secrets);
      const what = `${JSON.stringify(secrets)} in ${body} -> ${out}`.replaceAll('z'.repeat(600), 'z…');
      try {
        JSON.parse(out);
      } catch {
        report('notJson', what);
        continue;
      }
      const forms = formsOf(secrets);
      if (forms.some((form) => out.includes(form))) report('secretLeft', what);
      const before = scalarsOf(body);
      const after = scalarsOf(out);
      if (before.shape !== after.shape) {
        report('shape', what);
        continue;
      }
      const matches = occurrences(body, forms);
      if (matches.some(([start, end]) => body.slice(start, end).slice(1, -1).includes('"'))) across++;
      before.scalars.forEach((scalar, k) => {
        const touched = matches.some(([start, end]) => start < scalar.end && end > scalar.start);
        if (!touched && after.scalars[k].text !== scalar.text) report('changed', `${scalar.text}: ${what}`);
      });
    }
    t.same(failures, { notJson: 0, secretLeft: 0, shape: 0, changed: 0 }, 'every body masked as the properties ask');
    t.ok(across > 500, `matches holding a quote inside them tried (${across})`);
  },
);
