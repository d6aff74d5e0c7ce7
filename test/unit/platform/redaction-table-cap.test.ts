/**
 * Past the automaton's table cap (a long secret with many distinct characters: some fifty forms,
 * hundreds of columns) the redactor fell back to a regex search per match: a megabyte of `0` with
 * the weak secret `0000` cost a search per character, a span each and a sort, and nothing said
 * the cap was met. The sparse automaton reads such a text once, masks as the reference does, and
 * the cap is logged once, without any form.
 */
import t from 'tap';
import { scrubSecretValues } from '../../../src/openhim/masking.js';
import type { Settings } from '../../../src/config/settings.js';
import { widenToEscapes } from '../../../src/platform/escape-bounds.js';
import { FormAutomaton } from '../../../src/platform/form-automaton.js';
import { maskSpans, type Span } from '../../../src/platform/mask-spans.js';
import { learnSecrets, MASK, Redactor } from '../../../src/platform/redaction.js';
import { SparseFormAutomaton } from '../../../src/platform/sparse-form-automaton.js';
import { redactorOf } from '../../support/overlapping-secrets.js';
import { random } from '../../support/seeded-random.js';

/** 300 distinct CJK characters: its forms' table (rows × distinct characters) passes the cap. */
const WIDE = Array.from({ length: 300 }, (_, i) => String.fromCharCode(0x4e00 + i * 7)).join('');

/** Every form tried at every position, each match widened to whole escapes, masked as their union. */
function bruteForce(r: Redactor, text: string): string {
  const forms = r.knownForms();
  const spans: Span[] = [];
  for (let at = 0; at < text.length; at++) {
    for (const form of forms) if (text.startsWith(form, at)) spans.push(widenToEscapes(text, [at, at + form.length]));
  }
  return maskSpans(text, spans, MASK);
}

/** The reference for a scan: at each end, the longest form ending there. */
function longestEnds(forms: readonly string[], text: string): string[] {
  const out: string[] = [];
  for (let end = 1; end <= text.length; end++) {
    const longest = Math.max(0, ...forms.filter((f) => text.slice(0, end).endsWith(f)).map((f) => f.length));
    if (longest > 0) out.push(`${end - longest}-${end}`);
  }
  return out;
}

function scanned(scanner: { scan(text: string, found: (s: number, e: number) => void): void }, text: string) {
  const out: string[] = [];
  scanner.scan(text, (start, end) => out.push(`${start}-${end}`));
  return out;
}

/** What `run` returns, and how many times `method` of `proto` was called meanwhile. */
function counting<T extends object>(proto: T, method: keyof T & string, run: () => string): [string, number] {
  const original = proto[method] as (...args: unknown[]) => unknown;
  let calls = 0;
  (proto as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    calls += 1;
    return original.apply(this, args);
  };
  try {
    return [run(), calls];
  } finally {
    (proto as Record<string, unknown>)[method] = original;
  }
}

t.test('the sparse automaton reports what the table does and the reference does', async (t) => {
  const next = random(35);
  const pick = (n: number) => Array.from({ length: n }, () => 'abc'[Math.floor(next() * 3)]).join('');
  let wrong = 0;
  for (let i = 0; i < 2000; i++) {
    const forms = [
      ...new Set(Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(1 + Math.floor(next() * 5)))),
    ];
    // runs of a character no form holds: the search takes over between them and hands back
    let text = '';
    for (let n = Math.floor(next() * 6); n > 0; n--)
      text += pick(Math.floor(next() * 30)) + 'd'.repeat(Math.floor(next() * 100));
    const expected = longestEnds(forms, text);
    const sparse = scanned(new SparseFormAutomaton(forms), text);
    const table = scanned(FormAutomaton.of(forms)!, text);
    if ((sparse.join() !== expected.join() || table.join() !== expected.join()) && ++wrong < 4) {
      t.same({ sparse, table }, { sparse: expected, table: expected }, `${JSON.stringify(forms)} in ${text}`);
    }
  }
  t.equal(wrong, 0, 'no difference from the reference');
});

t.test('past the cap, a long run of a weak secret is one mask, read without a search per character', async (t) => {
  const r = redactorOf('0000', WIDE);
  t.notOk(FormAutomaton.fits(r.knownForms()), 'the forms pass the table cap');
  const run = 200_000;
  const text = `before ${'0'.repeat(run)} after`;
  const [out, searches] = counting(RegExp.prototype, 'exec', () => r.redact(text));
  t.equal(out, `before ${MASK} after`);
  t.ok(searches < run / 100, `${searches} regex searches for ${run} overlapping matches`);
});

t.test('OpenHIM masking past the cap: a long run read without a search per occurrence', async (t) => {
  // its forms are the secrets and their JSON forms only: one of 2,100 distinct characters passes
  const wider = Array.from({ length: 2100 }, (_, i) => String.fromCharCode(0x4e00 + i)).join('');
  t.notOk(FormAutomaton.fits(['0000', wider]), 'the forms pass the table cap');
  const run = 200_000;
  const text = `before ${'0'.repeat(run)} after ${wider}!`;
  const [out, searches] = counting(String.prototype, 'indexOf', () => scrubSecretValues(text, ['0000', wider]));
  t.equal(out, `before ${MASK} after ${MASK}!`);
  t.ok(searches < run / 100, `${searches} literal searches for ${run} overlapping occurrences`);
});

t.test('past the cap, random long texts are masked as the brute-force reference masks them', async (t) => {
  const secrets = ['0000', 'abab', 'nimda-Secret9', 'Cred-abcd\\', 'u00e9-Pw1', WIDE.slice(0, 40)];
  const r = redactorOf(...secrets, WIDE);
  t.notOk(FormAutomaton.fits(r.knownForms()), 'the forms pass the table cap');
  const pieces = ['0', '00', 'ab', 'a', '\n', '"', '\\', 'x', ' ', ...secrets, ...secrets.map((s) => s.slice(1))];
  const next = random(36);
  let wrong = 0;
  for (let i = 0; i < 40; i++) {
    let raw = '';
    while (raw.length < 600) raw += pieces[Math.floor(next() * pieces.length)];
    for (const text of [raw, JSON.stringify(raw)]) {
      if (r.redact(text) !== bruteForce(r, text) && ++wrong < 4) t.equal(r.redact(text), bruteForce(r, text));
    }
  }
  t.equal(wrong, 0, 'no difference from the reference');
});

t.test('the cap is logged once, by its count of forms, never a form', async (t) => {
  const warnings: { obj: object; msg?: string }[] = [];
  const log = { warn: (obj: object, msg?: string) => warnings.push({ obj, msg }) };
  const r = new Redactor();
  learnSecrets({ 'openlmis.password': 'short-Enough-9' } as unknown as Settings, log, r);
  t.equal(warnings.length, 0, 'forms under the cap: nothing said');
  learnSecrets({ 'openlmis.password': WIDE } as unknown as Settings, log, r);
  learnSecrets({ 'dhis2.password': `${WIDE}2` } as unknown as Settings, log, r);
  r.learnEphemeral(`${WIDE}3`);
  const capped = warnings.filter((w) => /table's cap/.test(w.msg ?? ''));
  t.equal(capped.length, 1, 'said once');
  const said = JSON.stringify(capped);
  t.notOk(said.includes(WIDE.slice(0, 4)) || said.includes('\\u4e00') || said.includes('%E4'), 'no form in it');
  t.match(capped[0].obj, { forms: Number }, 'the count of forms');
});
