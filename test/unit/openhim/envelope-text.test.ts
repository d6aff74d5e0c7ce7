// The envelope's text assembled from pieces is byte-equal to one redaction pass over the whole.
import t from 'tap';
import { wholeEnvelopeText, type EnvelopeInput } from '../../../src/openhim/envelope.js';
import { openHimEnvelopeText } from '../../../src/openhim/envelope-text.js';
import { MASK, Redactor } from '../../../src/platform/redaction.js';
import type { UpstreamCall } from '../../../src/platform/call-recording.js';
import { random } from '../../support/seeded-random.js';

const urn = 'urn:mediator:fhir-supply-mediator';
const SECRET = 'Hunter2-secret-Value';
const CLIENT_SECRET = 'client/se+cret?=&"x'; // the quote sends the envelope down the one-pass path
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.payload.sig-123456';

/** Fragments a body is made of: ordinary text, escapes, multi-byte characters and secrets in their forms. */
const FRAGMENTS = [
  '{"name":"Clinic \\"A\\"","code":"HC01"}',
  '"path":"C:\\\\data\\\\x"',
  '"escaped":"\\u0041\\u00e9"',
  'line\u2028separator\u2029para',
  'café ünïcödé 😀 ',
  '"password":"open-sesame-77"',
  'password=open-sesame-77&user=x',
  `"note":"${SECRET}"`,
  `secret in text ${SECRET} end`,
  Buffer.from(`admin:${SECRET}`).toString('base64'),
  JSON.stringify(SECRET).slice(1, -1),
  encodeURIComponent(SECRET),
  `Authorization: Bearer ${TOKEN}`,
  'Basic realm="mediator", charset="UTF-8"',
  '"apiKey":"k-998877"',
  '\\"quoted\\" and \\\\ backslash',
  '</script>\t\r\n',
  '"facilities":[{"id":"f1"},{"id":"f2"}]',
];

function bodyOf(next: () => number, size: number): string {
  let out = '';
  while (out.length < size) out += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)];
  return out;
}

const at = (ms: number) => new Date(Date.UTC(2026, 11, 3, 13, 0, 0) + ms);

function callOf(next: () => number, i: number, body: string): UpstreamCall {
  const failed = next() < 0.15;
  return {
    system: next() < 0.5 ? 'openlmis' : undefined,
    method: next() < 0.5 ? 'get' : 'POST',
    url: `https://lmis.example.org:8443/api/facilities/${i}?page=0&size=20&access_token=${TOKEN}&q=a%20b`,
    requestHeaders: {
      Authorization: next() < 0.5 ? `Bearer ${TOKEN}` : `Basic ${Buffer.from(`admin:${SECRET}`).toString('base64')}`,
      'content-type': 'application/json',
      'x-note': next() < 0.3 ? `has ${SECRET}` : 'plain',
    },
    requestBody: next() < 0.4 ? bodyOf(next, 200 + Math.floor(next() * 3000)) : undefined,
    startedAt: at(i * 10),
    endedAt: at(i * 10 + 7),
    ...(failed
      ? { error: { message: `connect ECONNREFUSED while sending ${SECRET}` } }
      : {
          response: {
            status: next() < 0.8 ? 200 : 500,
            headers: {
              'content-type': next() < 0.7 ? 'application/json' : 'text/plain',
              'www-authenticate': `Bearer realm="x", error_description="bad ${TOKEN}"`,
            },
            body,
          },
        }),
  };
}

function inputOf(next: () => number, redactor: Redactor, pages: string[], answer: string): EnvelopeInput {
  const calls = pages.map((page, i) => callOf(next, i, page));
  const small = next() < 0.3;
  return {
    urn,
    response: {
      status: [200, 201, 202, 404, 502][Math.floor(next() * 5)],
      headers: { 'content-type': 'application/fhir+json', etag: 'W/"abc"', 'x-echo': `Bearer ${TOKEN}` },
      body: answer,
      timestamp: at(999),
    },
    orchestrations: calls,
    properties: next() < 0.5 ? { upstreamId: `id-${SECRET}`, lines: 3 } : null,
    transientError: next() < 0.2 ? { message: `upstream said ${SECRET}` } : null,
    // small limits cut bodies (each, and by the total), some in the middle of a character
    bodyLimitBytes: small ? 500 + Math.floor(next() * 3000) : undefined,
    totalBodyLimitBytes: small ? 2000 + Math.floor(next() * 6000) : undefined,
    secretValues: next() < 0.5 ? [SECRET, 'open-sesame-77'] : [],
    redactor,
  };
}

function redactorWith(...secrets: string[]): Redactor {
  const redactor = new Redactor();
  for (const s of secrets) redactor.learn(s);
  redactor.learnSettings({ 'auth.username': 'admin', 'auth.password': SECRET });
  return redactor;
}

t.test('byte-equal to one pass over the whole, first made and remembered, on random shapes', async (t) => {
  let compared = 0;
  let cut = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const next = random(seed);
    const redactor = redactorWith(SECRET);
    redactor.learnEphemeral(TOKEN);
    // a few pages and answers, reused across requests as a repeated search reuses them
    const pages = [0, 1, 2].map(() => bodyOf(next, 500 + Math.floor(next() * 20000)));
    const answers = [0, 1].map(() => bodyOf(next, 300 + Math.floor(next() * 20000)));
    for (let request = 0; request < 6; request++) {
      const chosen = pages.filter(() => next() < 0.6);
      const input = inputOf(next, redactor, chosen, answers[Math.floor(next() * answers.length)]);
      const whole = wholeEnvelopeText(input);
      const assembled = openHimEnvelopeText(input);
      if (assembled !== whole) {
        t.equal(assembled, whole, `seed ${seed}, request ${request}`);
        return;
      }
      compared += 1;
      if (whole.includes('[truncated ...]')) cut += 1;
      t.doesNotThrow(() => JSON.parse(assembled));
      t.notOk(assembled.includes(SECRET) || assembled.includes(TOKEN), `seed ${seed}/${request}: no secret`);
    }
  }
  t.equal(compared, 240, 'every envelope byte-equal');
  t.ok(cut > 10, `truncation covered (${cut} envelopes cut)`);
});

t.test('a secret learnt live misses what was remembered: the new secret is masked at once', async (t) => {
  const redactor = redactorWith(SECRET);
  const later = 'Learnt-later-Passw0rd';
  const page = bodyOf(random(7), 5000) + ` and ${later} inside`;
  const answer = bodyOf(random(8), 5000) + `"also":"${later}"`;
  const input = (): EnvelopeInput => ({
    urn,
    response: { status: 200, body: answer, timestamp: at(1) },
    orchestrations: [
      {
        method: 'GET',
        url: 'http://x/y',
        startedAt: at(0),
        endedAt: at(1),
        response: { status: 200, body: page, headers: { 'content-type': 'application/json' } },
      },
    ],
    redactor,
  });
  const before = openHimEnvelopeText(input());
  t.ok(before.includes(later), 'not a secret yet');
  t.equal(openHimEnvelopeText(input()), before, 'remembered');
  const generation = redactor.generation;
  redactor.learn(later);
  t.not(redactor.generation, generation, 'a new generation');
  const after = openHimEnvelopeText(input());
  t.notOk(after.includes(later), 'masked in the page and the answer');
  t.equal(after, wholeEnvelopeText(input()), 'and byte-equal to one pass');
  t.ok(after.split(MASK).length > before.split(MASK).length);
});

t.test('a secret holding a quote: redacted in one pass, byte-equal too', async (t) => {
  const redactor = redactorWith(SECRET, CLIENT_SECRET);
  t.ok(redactor.hasFormWithQuote);
  const next = random(99);
  for (let i = 0; i < 5; i++) {
    const page = bodyOf(next, 3000) + JSON.stringify({ clientSecret: CLIENT_SECRET, x: `a${CLIENT_SECRET}b` });
    const input = inputOf(next, redactor, [page], bodyOf(next, 2000) + CLIENT_SECRET);
    const text = openHimEnvelopeText(input);
    t.equal(text, wholeEnvelopeText(input));
    t.notOk(text.includes(JSON.stringify(CLIENT_SECRET).slice(1, -1)), 'the escaped secret masked');
  }
});

t.test('a body that spells the piece mark does not confuse the assembly', async (t) => {
  const redactor = redactorWith(SECRET);
  const sneaky = '@@00000000-0000-0000-0000-000000000000:0@@'.repeat(40);
  const input: EnvelopeInput = {
    urn,
    response: { status: 200, body: sneaky, headers: { 'x-mark': '@@x:0@@' }, timestamp: at(1) },
    orchestrations: [
      {
        method: 'GET',
        url: 'http://x/@@y:1@@',
        startedAt: at(0),
        endedAt: at(1),
        response: { status: 200, body: sneaky },
      },
    ],
    redactor,
  };
  t.equal(openHimEnvelopeText(input), wholeEnvelopeText(input));
});
