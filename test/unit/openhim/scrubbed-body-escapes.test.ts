/**
 * OpenHIM masking scrubs the secrets a call carried (its credential, the configured ones) out of
 * each recorded body as text. A JSON body holding one right after an escape (`\n`, `\\`) or
 * right before one (`\"`) was masked as `\**********` or `**********\"`: an invalid escape, or a
 * string running on past its closing quote, so the body OpenHIM shows was no longer JSON. The
 * mask now takes whole escapes, as the redactor's does (escape-bounds).
 */
import t from 'tap';
import { type EnvelopeInput } from '../../../src/openhim/envelope.js';
import { openHimEnvelopeText } from '../../../src/openhim/envelope-text.js';
import { maskBodyText, scrubSecretValues } from '../../../src/openhim/masking.js';
import { MASK, Redactor } from '../../../src/platform/redaction.js';
import { random } from '../../support/seeded-random.js';

const NEWLINE_SECRET = 'nimda-Token9';
const BACKSLASH_SECRET = 'Cred-abcd\\';

t.test('a secret after an escape letter or ending on a backslash leaves the JSON body parseable', async (t) => {
  const secrets = [NEWLINE_SECRET, BACKSLASH_SECRET];
  const afterNewline = maskBodyText(JSON.stringify({ v: 'line\nimda-Token9' }), 'application/json', secrets);
  t.same(JSON.parse(afterNewline), { v: `line${MASK}` });
  const beforeQuote = maskBodyText(JSON.stringify({ v: 'x Cred-abcd\\' }), 'application/json', secrets);
  t.same(JSON.parse(beforeQuote), { v: `x ${MASK}` }, 'the closing quote stays a quote');
  const long = JSON.stringify({ v: `${'y'.repeat(600)} Cred-abcd\\`, w: 'line\nimda-Token9' });
  t.same(JSON.parse(scrubSecretValues(long, secrets)), { v: `${'y'.repeat(600)} ${MASK}`, w: `line${MASK}` });
});

t.test('the body OpenHIM shows stays JSON, the envelope too, the call credential masked', async (t) => {
  // the redactor knows no setting: the credential is the call's own, passed as secretValues
  const body = JSON.stringify({ note: 'line\nimda-Token9', path: 'C:\\Cred-abcd\\' });
  const input: EnvelopeInput = {
    urn: 'urn:mediator:fhir-supply-mediator',
    response: { status: 200, body: 'ok', timestamp: new Date(0) },
    orchestrations: [
      {
        method: 'GET',
        url: 'http://upstream.example/x',
        startedAt: new Date(0),
        endedAt: new Date(1),
        response: { status: 500, body, headers: { 'content-type': 'application/json' } },
      },
    ],
    secretValues: [NEWLINE_SECRET, BACKSLASH_SECRET],
    redactor: new Redactor(),
  };
  const envelope = JSON.parse(openHimEnvelopeText(input)) as { orchestrations: { response: { body: string } }[] };
  const shown = envelope.orchestrations[0].response.body;
  t.same(JSON.parse(shown), { note: `line${MASK}`, path: `C:\\${MASK}` });
});

// no quote: a literal scrub knows no JSON, and a secret holding one matches across a string's
// bounds (the redactor masks such secrets in the whole envelope at once: hasFormWithQuote)
const SECRETS = ['nSecret-n1', 'Secret-t2\\', 'u00e9Pass-3', '/Path-Secret4', 'é-Pw5'];
const PIECES = ['\n', '\t', '"', '\\', '/', 'é', '\u001f', 'x', ' ', ...SECRETS, ...SECRETS.map((s) => s.slice(1))];

t.test('random JSON bodies stay JSON once scrubbed, short and long, no secret left', async (t) => {
  const next = random(34);
  let broken = 0;
  let kept = 0;
  for (let i = 0; i < 3000; i++) {
    let value = '';
    for (let n = 1 + Math.floor(next() * 10); n > 0; n--) value += PIECES[Math.floor(next() * PIECES.length)];
    if (next() < 0.3) value = value.padStart(600, 'z');
    const out = scrubSecretValues(JSON.stringify({ value }), SECRETS);
    try {
      const parsed = (JSON.parse(out) as { value: string }).value;
      if (SECRETS.some((secret) => parsed.includes(secret))) kept += 1;
    } catch {
      broken += 1;
      if (broken < 4) t.fail(`not JSON once scrubbed: ${JSON.stringify(value)} -> ${out}`);
    }
  }
  t.equal(broken, 0, 'every scrubbed body parses');
  t.equal(kept, 0, 'no secret left in a parsed body');
});

t.test('a secret starting with a backslash is masked whole in a JSON body, its first character too', async (t) => {
  const secret = '\\Pw-secret9';
  // the call's own credential: the redactor knows no setting of it, only the scrub has it
  const redactor = new Redactor();
  for (const body of [JSON.stringify({ note: secret }), JSON.stringify({ note: `${'y'.repeat(600)} ${secret}` })]) {
    const shown = redactor.redact(maskBodyText(body, 'application/json', [secret]));
    const note = String((JSON.parse(shown) as { note: string }).note);
    t.notOk(note.includes('\\'), `no backslash of the secret left in clear: ${note.slice(-20)}`);
    t.ok(note.endsWith(MASK), 'the secret masked');
  }
});
