/**
 * A secret matched outside any JSON string (a PIN-like password that an upstream answer holds as
 * a JSON number) was masked as a bare `**********`: the FHIR answer, the log line or the body an
 * OpenHIM orchestration shows was no longer JSON. The number (or literal) holding the match is
 * now masked as a JSON string, by the redactor and by OpenHIM masking alike.
 *
 * Fuzz (reviewer RD's own reference, no code of the mediator's): random JSON values over a small
 * alphabet (numbers of 0 and 1, strings of quotes, backslashes and digits) with random secrets,
 * some all digits; each output must parse, keep the input's shape, hold no secret in any string
 * or number, and keep every value whose JSON text holds no form of a secret as it was.
 */
import t from 'tap';
import { maskBodyText, scrubSecretValues } from '../../../src/openhim/masking.js';
import { createLogger } from '../../../src/platform/logger.js';
import { MASK, Redactor } from '../../../src/platform/redaction.js';
import { random } from '../../support/seeded-random.js';

const PIN = '20481024';

t.test('a PIN as a JSON number: masked as a string, the text still JSON', async (t) => {
  const r = new Redactor();
  r.learn(PIN);
  const short = JSON.stringify({ pin: 20481024, code: 7720481024, note: `a ${PIN} b`, list: [1, -20481024.5] });
  const expected = { pin: MASK, code: MASK, note: `a ${MASK} b`, list: [1, MASK] };
  const long = JSON.stringify({ pad: 'p'.repeat(700), pin: 20481024 });
  t.same(JSON.parse(r.redact(short)), expected, 'redactor, a short text');
  t.same(JSON.parse(r.redact(long)), { pad: 'p'.repeat(700), pin: MASK }, 'redactor, a long text');
  t.same(JSON.parse(scrubSecretValues(short, [PIN])), expected, 'OpenHIM scrub, a short text');
  t.same(JSON.parse(scrubSecretValues(long, [PIN])), { pad: 'p'.repeat(700), pin: MASK }, 'OpenHIM scrub, long');
  t.same(JSON.parse(maskBodyText(`{"pass": 1, "n": ${PIN}}`, 'application/json', [PIN])), { pass: MASK, n: MASK });
  // a secret holding a quote as well: numbers still quoted
  t.same(JSON.parse(scrubSecretValues(JSON.stringify({ n: 20481024, s: 'x"y1' }), [PIN, 'x"y1'])), {
    n: MASK,
    s: MASK,
  });
});

t.test('a log line holding the PIN as a number: masked, still a JSON line', async (t) => {
  const r = new Redactor();
  r.learn(PIN);
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(line) }, r);
  logger.info({ upstreamAnswer: { pin: 20481024, attempts: 3 } }, 'mSupply answered');
  t.equal(lines.length, 1);
  t.same(JSON.parse(lines[0]).upstreamAnswer, { pin: MASK, attempts: 3 });
});

t.test('a secret holding a quote across two strings: masked in each, the text still JSON', async (t) => {
  const r = new Redactor();
  r.learn('a","b');
  // coincidence: the end of one value and the start of the next key
  t.equal(r.redact('{"x":"a","b":"c"}'), `{"x":"${MASK}","${MASK}":"c"}`);
  // an upstream concatenating the secret into JSON: not a character of it left
  t.equal(r.redact('["bad a","b"]'), `["bad ${MASK}","${MASK}"]`);
  const long = JSON.stringify({ pad: 'p'.repeat(600), x: 'za', b: 1 });
  t.same(JSON.parse(r.redact(long)), { pad: 'p'.repeat(600), x: `z${MASK}`, [MASK]: 1 }, 'a long text');
  r.learn('1","q');
  t.equal(r.redact('[1,"q"]'), '[1,"q"]', 'no quote before the comma: no match');
  t.equal(r.redact('[11","q"]'), `[1${MASK}"]`, 'not JSON: as before');
});

t.test('a secret over values outside strings (`1234,5678`): each masked as a string, still JSON', async (t) => {
  const secrets = ['1234,5678', 'true, false', '9999 '];
  const r = new Redactor();
  secrets.forEach((s) => r.learn(s));
  const short = '{"pins":[1234,5678],"flags":[true, false],"n": 9999 ,"s":"1234,5678"}';
  const expected = { pins: [MASK, MASK], flags: [MASK, MASK], n: MASK, s: MASK };
  const long = JSON.stringify({ pad: 'p'.repeat(600), pins: [91234, 5678] });
  t.same(JSON.parse(r.redact(short)), expected, 'redactor, a short text');
  t.same(JSON.parse(r.redact(long)), { pad: 'p'.repeat(600), pins: [MASK, MASK] }, 'redactor, a long text');
  t.same(JSON.parse(scrubSecretValues(short, secrets)), expected, 'OpenHIM scrub, a short text');
  t.same(JSON.parse(scrubSecretValues(long, secrets)), { pad: 'p'.repeat(600), pins: [MASK, MASK] }, 'scrub, long');
  t.equal(r.redact('pins 1234,5678 here'), `pins ${MASK} here`, 'not JSON: as before');
});

t.test('a secret starting with a backslash across a string end: the escape masked too', async (t) => {
  // the key ends with a backslash (`\\` in the text): that is the secret's first character
  const r = new Redactor();
  r.learn('\\":{');
  const short = '{"n1\\\\":{"a":1}}';
  t.equal(r.redact(short), `{"n1${MASK}":{"a":1}}`, 'redactor, a short text');
  t.equal(r.redact(short), scrubSecretValues(short, ['\\":{']), 'as OpenHIM masking writes it');
  const long = `{"pad":"${'p'.repeat(600)}",${short.slice(1)}`;
  t.same(JSON.parse(r.redact(long)), { pad: 'p'.repeat(600), [`n1${MASK}`]: { a: 1 } }, 'redactor, a long text');
  r.learnEphemeral('\\tok"');
  t.equal(r.redact('["x\\\\tok"]'), `["x${MASK}"]`, 'a token learnt at run time too');
});

t.test('text that is not JSON is masked as before', async (t) => {
  const r = new Redactor();
  r.learn(PIN);
  t.equal(r.redact(`pin ${PIN} refused`), `pin ${MASK} refused`);
  t.equal(r.redact(`{pin: ${PIN}}`), `{pin: ${MASK}}`, 'opens like JSON, is not');
  t.equal(scrubSecretValues(`[${PIN}`, [PIN]), `[${MASK}`);
  t.equal(r.redact(JSON.stringify({ s: `[${PIN}, 1]` })), JSON.stringify({ s: `[${MASK}, 1]` }), 'inside a string');
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every leaf (string, number, literal) by its path, and every container's size. */
function leaves(value: Json, path = '$', out = new Map<string, Json>()): Map<string, Json> {
  if (Array.isArray(value)) {
    out.set(`${path}#`, value.length);
    value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    out.set(`${path}#`, Object.keys(value).length);
    for (const [k, v] of Object.entries(value)) leaves(v, `${path}.${k}`, out);
  } else out.set(path, value);
  return out;
}

t.test('fuzz: random JSON with random secrets, redactor and OpenHIM scrub', async (t) => {
  const next = random(3302);
  const pick = (alphabet: string, n: number) =>
    Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  const digits = () => pick('01', 1 + Math.floor(next() * 9)).replace(/^0+(?=.)/, '');
  const leaf = (): Json => {
    const kind = next();
    if (kind < 0.35) return Number(`${next() < 0.2 ? '-' : ''}${digits()}${next() < 0.2 ? `.${digits()}1` : ''}`);
    if (kind < 0.45) return [true, false, null][Math.floor(next() * 3)];
    return pick('01a"\\,: ', Math.floor(next() * 12));
  };
  const value = (depth: number): Json => {
    if (depth > 2 || next() < 0.3) return leaf();
    const n = Math.floor(next() * 6);
    if (next() < 0.5) return Array.from({ length: n }, () => value(depth + 1));
    // keys too short to hold a secret: a masked key could make two keys one
    return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(depth + 1)]));
  };
  let checked = 0;
  const failures: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const numeric = Array.from(
      { length: 1 + Math.floor(next() * 2) },
      () => `1${pick('01', 3 + Math.floor(next() * 2))}`,
    );
    const other = pick('01a\\', 4 + Math.floor(next() * 2));
    const quoted = pick('01a"', 4);
    const input = [value(0), value(0), next() < 0.3 ? 'a'.repeat(600) : 0];
    for (const text of [JSON.stringify(input), JSON.stringify(input, null, 1)]) {
      const r = new Redactor();
      for (const s of [...numeric, other]) r.learn(s);
      const cases = [
        { who: 'redactor', secrets: [...numeric, other], forms: r.knownForms(), out: r.redact(text) },
        {
          who: 'scrub',
          secrets: [...numeric, other, quoted],
          forms: [...numeric, other, quoted].flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]),
          out: scrubSecretValues(text, [...numeric, other, quoted]),
        },
      ];
      for (const { who, secrets, forms, out } of cases) {
        checked += 1;
        const why = whatIsWrong(text, out, secrets, forms);
        if (why) failures.push(`${who} ${JSON.stringify(secrets)} ${why}: ${text} -> ${out}`);
      }
      // the redactor masks a secret holding a quote across strings' bounds too (a secret an
      // upstream concatenated into JSON): the text stays JSON and holds no form of it
      const q = new Redactor();
      const across = next() < 0.6 ? windowWithQuote(text, next) : quoted;
      for (const s of [...numeric, across]) q.learn(s);
      const out = q.redact(text);
      checked += 1;
      if (!parses(out)) failures.push(`redactor, quote ${JSON.stringify(across)} not JSON: ${text} -> ${out}`);
      // one made only of JSON's punctuation and spaces stays: masked, the text would not be JSON;
      // a mask's own quotes (a number masked as a string) make no form
      else if (q.knownForms().some((f) => /[0-9a-z]/i.test(f) && out.replaceAll(`"${MASK}"`, '#').includes(f)))
        failures.push(`redactor, quote ${JSON.stringify(across)} a form left: ${text} -> ${out}`);
      if (q.knownForms().some((f) => f.includes('"') && text.includes(f))) crossed += 1;
    }
  }
  t.same(failures.slice(0, 3), [], `${failures.length} of ${checked} outputs wrong`);
  t.ok(numbersMasked > 500, `numbers holding a secret masked: ${numbersMasked}`);
  t.ok(crossed > 50, `texts holding a form with a quote: ${crossed}`);
});

let numbersMasked = 0;
let crossed = 0;

/** Four to six characters of the text around one of its quotes: a secret matched across bounds. */
function windowWithQuote(text: string, next: () => number): string {
  const quotes = [...text.matchAll(/"/g)].map((m) => m.index);
  const at = quotes[Math.floor(next() * quotes.length)];
  const start = Math.max(0, at - Math.floor(next() * 4));
  return text.slice(start, start + 4 + Math.floor(next() * 3)).padEnd(4, 'a');
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Why `out` is not a right masking of the JSON `text`, or undefined. */
function whatIsWrong(text: string, out: string, secrets: string[], forms: string[]): string | undefined {
  let parsed: Json;
  try {
    parsed = JSON.parse(out) as Json;
  } catch {
    return 'not JSON';
  }
  const before = leaves(JSON.parse(text) as Json);
  const after = leaves(parsed);
  if ([...before.keys()].join() !== [...after.keys()].join()) return 'shape changed';
  for (const [path, was] of before) {
    const now = after.get(path);
    const shown = typeof now === 'string' ? now : JSON.stringify(now);
    if (secrets.some((s) => shown.includes(s))) return `a secret left at ${path}`;
    const holdsForm = forms.some((f) => JSON.stringify(was).includes(f));
    if (!holdsForm && now !== was) return `${path} changed without a secret`;
    if (holdsForm && typeof was === 'number' && now !== MASK) return `${path} not masked`;
    if (holdsForm && typeof was === 'number') numbersMasked += 1;
  }
  return undefined;
}
