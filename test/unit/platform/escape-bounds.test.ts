/**
 * A form matched across a JSON escape's edge (from the `n` of a newline's `\n` on, or up to the
 * `\` of a `\"`) is masked with the whole escape, so JSON text redacted as text stays parseable:
 * the OpenHIM envelope (one pass over the whole), a log line, a FHIR answer.
 */
import t from 'tap';
import { wholeEnvelopeText, type EnvelopeInput } from '../../../src/openhim/envelope.js';
import { openHimEnvelopeText } from '../../../src/openhim/envelope-text.js';
import { MASK, type Redactor } from '../../../src/platform/redaction.js';
import { redactorOf } from '../../support/overlapping-secrets.js';
import { random } from '../../support/seeded-random.js';

/** The JSON text of `value` redacted, parsed back (throws when the redaction broke it). */
function redactedJson(r: Redactor, value: unknown): unknown {
  return JSON.parse(r.redact(JSON.stringify(value)));
}

t.test('a form starting at an escape letter masks the escape with it', async (t) => {
  const r = redactorOf('nimda-Secret9');
  const text = JSON.stringify({ note: 'line one\nimda-Secret9 after' });
  const out = r.redact(text);
  t.equal(out, `{"note":"line one${MASK} after"}`);
  t.same(JSON.parse(out), { note: `line one${MASK} after` });
});

t.test('a form ending on the backslash of an escape masks the escaped letter with it', async (t) => {
  const r = redactorOf('Cred-abcd\\');
  const out = r.redact(JSON.stringify({ said: 'Cred-abcd"xyz' }));
  t.same(JSON.parse(out), { said: `${MASK}xyz` }, 'the quote stays escaped, not closing the string');
});

t.test('a form starting inside a \\uXXXX escape masks the whole escape', async (t) => {
  const r = redactorOf('001fSecret-77');
  // a control character is written as \u001f, whose hex digits begin the form
  const out = r.redact(JSON.stringify({ v: 'a\u001fSecret-77 b' }));
  t.same(JSON.parse(out), { v: `a${MASK} b` });
});

t.test("a real backslash before a secret keeps its escape: only the form's own escape is masked", async (t) => {
  const r = redactorOf('/Secret-Path9', 'é-Pw1-secret');
  const out = r.redact(JSON.stringify({ v: 'C:\\/Secret-Path9 end' }));
  t.same(JSON.parse(out), { v: `C:\\${MASK} end` }, 'the backslash before the secret stays');
  const twice = r.redact(JSON.stringify({ v: 'lit \\\\u00e9-Pw1-secret' }));
  t.same(JSON.parse(twice), { v: `lit \\\\${MASK}` }, 'both backslashes before a \\u form stay');
  // a Java serialiser's `\/`: the escape is the secret's form, masked with it
  t.equal(r.redact('{"v":"x\\/Secret-Path9"}'), `{"v":"x${MASK}"}`);
});

const ESCAPE_LETTERS = ['n', 't', 'r', 'b', 'f', 'u', '"', '\\', '/'];

t.test('random JSON holding secrets built on escape letters stays parseable', async (t) => {
  const secrets = ESCAPE_LETTERS.flatMap((c) => [`${c}Secret-${c}1`, `Secret-${c}2${c}`, `u00${c}Pass-3`]);
  const r = redactorOf(...secrets.filter((s) => s.length >= 4));
  // a secret's tail after an escaped character spells the whole secret in the JSON text
  const tails = secrets.map((secret) => secret.slice(1));
  const heads = secrets.map((secret) => secret.slice(0, -1));
  const pieces = ['\n', '\t', '\r', '\b', '\f', '"', '\\', '/', '\u0001', '\u001f', 'é', 'x', ' '];
  pieces.push(...secrets, ...tails, ...heads);
  const next = random(31);
  let broken = 0;
  for (let i = 0; i < 3000; i++) {
    let value = '';
    for (let n = 1 + Math.floor(next() * 8); n > 0; n--) value += pieces[Math.floor(next() * pieces.length)];
    try {
      const parsed = redactedJson(r, { value }) as { value: string };
      for (const secret of secrets) if (parsed.value.includes(secret)) t.fail(`${JSON.stringify(value)} kept a secret`);
    } catch {
      broken += 1;
      if (broken < 4) t.fail(`not JSON after redaction: ${JSON.stringify(value)}`);
    }
  }
  t.equal(broken, 0, 'every redacted text parses');
});

t.test('the OpenHIM envelope stays JSON, assembled or in one pass', async (t) => {
  const r = redactorOf('nimda-Secret9', 'Cred-abcd\\');
  const body = 'first line\nimda-Secret9 and Cred-abcd"quoted"\n'.repeat(200);
  const input: EnvelopeInput = {
    urn: 'urn:mediator:fhir-supply-mediator',
    response: { status: 200, body, timestamp: new Date(0) },
    orchestrations: [
      {
        method: 'GET',
        url: 'http://upstream.example/x',
        startedAt: new Date(0),
        endedAt: new Date(1),
        response: { status: 500, body, headers: { 'content-type': 'text/plain' } },
      },
    ],
    redactor: r,
  };
  const whole = wholeEnvelopeText(input);
  t.doesNotThrow(() => JSON.parse(whole), 'one pass');
  t.equal(openHimEnvelopeText(input), whole, 'assembled from pieces: byte-equal');
  t.notMatch(whole, 'imda-Secret9');
});

t.test('a mask ending on a backslash before an astral character takes it whole', async (t) => {
  // not JSON (there such a backslash is escaped): a mask widened by one code unit split the pair,
  // and the lone low half went out as U+FFFD
  const r = redactorOf('u00e9-Pwa\\');
  const lone = /(?<![\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/;
  for (const pad of ['', 'p'.repeat(600)]) {
    const out = r.redact(`${pad}said u00e9-Pwa\\😀 then`);
    t.equal(out, `${pad}said ${MASK} then`, `${pad.length + 24} characters`);
    t.notMatch(out, lone, 'no half of a pair alone');
  }
});
