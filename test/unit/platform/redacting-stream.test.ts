/**
 * A streamed reply is redacted chunk by chunk as one pass over the whole body would be: a form
 * that starts inside another secret's masked form and runs into the next chunk is masked to its
 * end, and a character split between two chunks arrives whole.
 */
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import t from 'tap';
import { MASK, type Redactor } from '../../../src/platform/redaction.js';
import { FIRST, OVERLAPPING, redactorOf, SECOND } from '../../support/overlapping-secrets.js';
import { random } from '../../support/seeded-random.js';
import { redactingStream, registerResponseRedaction } from '../../../src/platform/response-redaction.js';

async function streamed(r: Redactor, chunks: (string | Buffer)[]): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of Readable.from(chunks).pipe(redactingStream(r))) parts.push(Buffer.from(part));
  return Buffer.concat(parts).toString('utf8');
}

function chunked(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

t.test('overlapping secrets across chunk edges: masked as one pass masks them', async (t) => {
  const r = redactorOf(FIRST, SECOND);
  let compared = 0;
  for (let pad = 0; pad < 300; pad += 3) {
    const text = `${'x'.repeat(600 + pad)}${OVERLAPPING}${'y'.repeat(50)}`;
    const out = await streamed(r, chunked(text, 331));
    if (out !== r.redact(text)) {
      t.equal(out, r.redact(text), `padding ${pad}`);
      return;
    }
    compared += 1;
  }
  t.equal(compared, 100, 'every placement equals one pass');
  t.notMatch(await streamed(r, chunked(`${'x'.repeat(700)}${OVERLAPPING}`, 331)), 'omega');
});

t.test('a character split between two chunks arrives whole', async (t) => {
  const r = redactorOf(FIRST);
  const text = `${'é€😀 '.repeat(400)}${FIRST} ${'😀'.repeat(500)}`;
  for (const size of [331, 1000, 4099]) {
    t.equal(await streamed(r, chunked(text, size)), text.replace(FIRST, MASK), `chunks of ${size} bytes`);
  }
});

t.test('a reply streamed through the response hook', async (t) => {
  const r = redactorOf(FIRST, SECOND);
  const body = `${'é'.repeat(1500)} ${OVERLAPPING} ${'z'.repeat(1500)}`;
  const app = Fastify();
  registerResponseRedaction(app, r);
  app.get('/stream', (_request, reply) => {
    reply.type('text/plain; charset=utf-8');
    return reply.send(Readable.from(chunked(body, 997)));
  });
  const res = await app.inject({ method: 'GET', url: '/stream' });
  t.equal(res.body, body.replace(OVERLAPPING, MASK));
  await app.close();
});

t.test('past the held limit with a long token masked: a secret still to come is not sent in part', async (t) => {
  const secret = 'nightOwl-Secret-42';
  const r = redactorOf(secret);
  // a Bearer token's mask crosses every cut until the held text passes the limit; the redacted
  // text is then shorter than the hold, and ends with the start of the secret
  const first = `Bearer ${'A1b2'.repeat(280_000)} ${'y'.repeat(240)}nightOwl-Sec`;
  const out = await streamed(r, [first, 'ret-42 tail']);
  t.notMatch(out, /Owl|Secret|ret-42/, 'no part of the secret in clear');
  t.match(out, /\*{10} tail$/, 'masked where it ends');
});

t.test('a mask crossing the cut for long: the held text is not redacted again at every chunk', async (t) => {
  const r = redactorOf(FIRST);
  let passes = 0;
  const counting = Object.create(r) as Redactor;
  counting.redact = (text: string) => {
    passes += 1;
    return r.redact(text);
  };
  const body = `hdr Bearer ${'A1b2'.repeat(150_000)} end ${FIRST}`;
  const out = await streamed(counting, chunked(body, 1024));
  t.equal(out, r.redact(body), 'the same text as one pass');
  // 587 chunks: a try at each redacted the held text up to 3 times per chunk
  t.ok(passes < 100, `redactions bounded by the held text doubling (${passes})`);
});

t.test('a backslash run longer than the hold: each piece as one pass, the body still JSON', async (t) => {
  // a secret starting with an escape's letter after an even run of backslashes (real ones): cut
  // inside the run at an odd place, the rest read alone took the last backslash for `\n`'s
  const secret = 'nimbus-Token7';
  const r = redactorOf(secret);
  const body = JSON.stringify({ v: `${'\\'.repeat(1500)}${secret} end` });
  for (const size of [331, 332, 997]) {
    const out = await streamed(r, chunked(body, size));
    t.equal(out, r.redact(body), `chunks of ${size}: as one pass`);
    t.same(JSON.parse(out), { v: `${'\\'.repeat(1500)}${MASK} end` }, `chunks of ${size}: JSON`);
  }
});

t.test('random bodies of backslash runs, escapes and secrets: streamed as one pass', async (t) => {
  const secrets = ['nimbus-Token7', '\\Pw-back9', 'u00e9-Pass3', '/Slash-Pw4'];
  const r = redactorOf(...secrets);
  const pieces = ['\\', '\\'.repeat(700), 'n', 'u00e9', '"', '/', 'x', ...secrets, ...secrets.map((s) => s.slice(1))];
  const next = random(33);
  let wrong = 0;
  for (let i = 0; i < 60; i++) {
    let value = '';
    while (value.length < 3000) value += pieces[Math.floor(next() * pieces.length)];
    const body = JSON.stringify({ value });
    const out = await streamed(r, chunked(body, 200 + Math.floor(next() * 300)));
    if (out !== r.redact(body) && ++wrong < 3) t.equal(out, r.redact(body), `body ${i}`);
  }
  t.equal(wrong, 0, 'every streamed body equals its one-pass redaction');
});

t.test('random secrets and bodies over a small alphabet with long backslash runs: as one pass', async (t) => {
  const alphabet = ['\\', 'n', 'a', '"', 'u'];
  const next = random(37);
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  let wrong = 0;
  for (let i = 0; i < 40; i++) {
    const secrets = [pick(4 + Math.floor(next() * 3)), pick(5)];
    const r = redactorOf(...secrets);
    let value = '';
    while (value.length < 2500)
      value += next() < 0.1 ? '\\'.repeat(Math.floor(next() * 900)) : pick(1 + Math.floor(next() * 8));
    for (const body of [value, JSON.stringify({ value })]) {
      const out = await streamed(r, chunked(body, 100 + Math.floor(next() * 300)));
      if (out !== r.redact(body) && ++wrong < 3) t.equal(out, r.redact(body), `${JSON.stringify(secrets)}, body ${i}`);
    }
  }
  t.equal(wrong, 0, 'every streamed body equals its one-pass redaction');
});
