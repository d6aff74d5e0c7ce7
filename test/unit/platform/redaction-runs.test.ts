/**
 * A text full of matches of a weak, repetitive secret (an upstream echoing a long run of `0` while
 * a password is `0000`) is masked in one pass: the redactor and OpenHIM masking read such a run
 * once, where they retried every form at every character, gathered a span per match and sorted
 * them. The masking itself stays exact: random texts are masked as a brute-force reference does.
 */
import t from 'tap';
import { scrubSecretValues } from '../../../src/openhim/masking.js';
import { widenToEscapes } from '../../../src/platform/escape-bounds.js';
import { FormAutomaton } from '../../../src/platform/form-automaton.js';
import { maskSpans, type Span } from '../../../src/platform/mask-spans.js';
import { MASK, type Redactor } from '../../../src/platform/redaction.js';
import { redactorOf } from '../../support/overlapping-secrets.js';
import { random } from '../../support/seeded-random.js';

/** Every form tried at every position, each match widened to whole escapes, masked as their union. */
function bruteForce(r: Redactor, text: string): string {
  const forms = r.knownForms();
  const spans: Span[] = [];
  for (let at = 0; at < text.length; at++) {
    for (const form of forms) if (text.startsWith(form, at)) spans.push(widenToEscapes(text, [at, at + form.length]));
  }
  return maskSpans(text, spans, MASK);
}

/** Every occurrence of every secret, widened to whole escapes, masked as their union. */
function bruteForceScrub(text: string, secrets: readonly string[]): string {
  const spans: Span[] = [];
  for (let at = 0; at < text.length; at++) {
    for (const secret of secrets) {
      if (text.startsWith(secret, at)) spans.push(widenToEscapes(text, [at, at + secret.length]));
    }
  }
  return maskSpans(text, spans, MASK);
}

/** How many times `method` of `proto` is called while `run` runs. */
function callsOf<T extends object>(proto: T, method: keyof T & string, run: () => void): number {
  const original = proto[method] as (...args: unknown[]) => unknown;
  let calls = 0;
  (proto as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    calls += 1;
    return original.apply(this, args);
  };
  try {
    run();
  } finally {
    (proto as Record<string, unknown>)[method] = original;
  }
  return calls;
}

const RUN = 200_000;

t.test('a long run of a weak secret is one mask, read without a search per character', async (t) => {
  const r = redactorOf('0000', 'another-Secret-99');
  const text = `before ${'0'.repeat(RUN)} after`;
  let out = '';
  const searches = callsOf(RegExp.prototype, 'exec', () => (out = r.redact(text)));
  t.equal(out, `before ${MASK} after`);
  t.ok(searches < RUN / 100, `${searches} regex searches for ${RUN} overlapping matches`);
});

t.test('OpenHIM masking scrubs a long run without a search per occurrence', async (t) => {
  const text = `before ${'0'.repeat(RUN)} after`;
  let out = '';
  const searches = callsOf(String.prototype, 'indexOf', () => (out = scrubSecretValues(text, ['0000', 'x-Secret-7'])));
  t.equal(out, `before ${MASK} after`);
  t.ok(searches < RUN / 100, `${searches} literal searches for ${RUN} overlapping occurrences`);
});

t.test('runs of touching, not overlapping, matches keep a mask each', async (t) => {
  const r = redactorOf('abcd', 'cdef-Secret');
  const text = 'abcd'.repeat(5000);
  t.equal(r.redact(text), MASK.repeat(5000));
  t.equal(scrubSecretValues(text, ['abcd']), MASK.repeat(5000));
  t.equal(r.redact('abcdef-Secret abcdabcd'), `${MASK} ${MASK}${MASK}`);
});

t.test('a form longer than the automaton reads past a match is masked whole', async (t) => {
  const long = `Long-${'x7'.repeat(60)}-Secret`;
  // and its start a secret too: a form ending early must not end the reading before the long one
  const r = redactorOf(long, long.slice(0, 12), '0000');
  t.equal(r.redact(`a ${long} b 0000 c ${long}`), `a ${MASK} b ${MASK} c ${MASK}`);
  t.equal(r.redact(JSON.stringify(encodeURIComponent(`?p=${long}`))), `"%3Fp%3D${MASK}"`);
});

const SECRETS = [
  '0000',
  'abab',
  'nimda-Secret9',
  'Cred-abcd\\',
  'alpha-Pass-shared9',
  'shared9-omega-Word',
  'u00e9-Pw1',
  '/Path-Secret',
  'é-Pw2x',
];
const PIECES = ['0', '00', 'ab', 'a', 'b', '\n', '"', '\\', '/', 'é', ' ', 'x', 'shared9', '\u001f'];

function randomText(next: () => number, pieces: readonly string[]): string {
  let text = '';
  for (let n = 1 + Math.floor(next() * 40); n > 0; n--) text += pieces[Math.floor(next() * pieces.length)];
  return text;
}

t.test('random texts are masked as the brute-force reference masks them', async (t) => {
  const r = redactorOf(...SECRETS);
  const pieces = [...PIECES, ...SECRETS, ...SECRETS.map((s) => s.slice(1)), ...SECRETS.map((s) => s.slice(0, -1))];
  const next = random(32);
  let differences = 0;
  for (let i = 0; i < 3000; i++) {
    const raw = randomText(next, pieces);
    // as it is, and as it travels in JSON, once and twice (an envelope carrying a JSON body)
    for (const text of [raw, JSON.stringify(raw), JSON.stringify(JSON.stringify(raw))]) {
      if (r.redact(text) !== bruteForce(r, text)) {
        differences += 1;
        if (differences < 4) t.fail(`differs from the reference: ${JSON.stringify(text)}`);
      }
    }
    // long texts take the automaton in OpenHIM masking: the same union as the reference
    const long = raw.repeat(Math.ceil(600 / raw.length));
    if (scrubSecretValues(long, SECRETS) !== bruteForceScrub(long, SECRETS)) {
      differences += 1;
      if (differences < 4) t.fail(`scrub differs from the reference: ${JSON.stringify(raw)}`);
    }
  }
  t.equal(differences, 0, 'no difference from the reference');
});

t.test('long random texts: the automaton hands back to the search and reads on again', async (t) => {
  const r = redactorOf(...SECRETS);
  const filler = ['lorem ipsum ', 'dolor sit amet, ', '1234 '];
  const next = random(33);
  let differences = 0;
  for (let i = 0; i < 60; i++) {
    let text = '';
    for (let n = 0; n < 30; n++) {
      text += randomText(next, [...PIECES, ...SECRETS]);
      for (let k = Math.floor(next() * 12); k > 0; k--) text += filler[Math.floor(next() * filler.length)];
    }
    if (r.redact(text) !== bruteForce(r, text)) differences += 1;
  }
  t.equal(differences, 0, 'no difference from the reference');
});

t.test('the automaton reports each form end once, in order of its end (SpanUnion relies on it)', async (t) => {
  // a round restarting at a match that begins before the last reported end used to report spans
  // again with smaller ends (the union was right only because a covering match came later)
  const long = 'ab' + 'z'.repeat(5) + 'cc' + 'z'.repeat(70) + 'Q';
  const automaton = FormAutomaton.of(['ab', 'yab' + 'z'.repeat(4), 'cc', long])!;
  const ends: number[] = [];
  automaton.scan('y' + long + 'zzz', (_start, end) => ends.push(end));
  t.ok(
    ends.every((end, i) => i === 0 || end > ends[i - 1]),
    `ends strictly grow: ${ends.join(', ')}`,
  );
  t.equal(ends[ends.length - 1], 1 + long.length, 'the long form is found');
});
