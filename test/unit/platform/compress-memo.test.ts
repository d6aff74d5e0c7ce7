import zlib from 'node:zlib';
import t from 'tap';
import { rememberingCompressor, rememberingUtf8 } from '../../../src/platform/compress-memo.js';

const body = (seed: string, bytes = 30_000) => Buffer.from(seed.repeat(Math.ceil(bytes / seed.length)).slice(0, bytes));

function counting() {
  const calls: number[] = [];
  const compress = (input: Buffer, options?: zlib.ZlibOptions) => {
    calls.push(input.length);
    return zlib.gzipSync(input, options);
  };
  return { calls, compress };
}

const OPTIONS = { level: 1 };

t.test('the same large body is compressed once; its output inflates to the body', async (t) => {
  const { calls, compress } = counting();
  const gzip = rememberingCompressor(compress);
  const a = gzip(body('{"resourceType":"Bundle"}'), OPTIONS);
  const b = gzip(body('{"resourceType":"Bundle"}'), OPTIONS);
  t.equal(calls.length, 1, 'the second, byte-equal body came from memory');
  t.equal(b, a, 'the same output');
  t.same(zlib.gunzipSync(b), body('{"resourceType":"Bundle"}'));
});

t.test('a body of the same length but other bytes is compressed for itself', async (t) => {
  const { calls, compress } = counting();
  const gzip = rememberingCompressor(compress);
  gzip(body('aaaa'), OPTIONS);
  const other = gzip(body('aaab'), OPTIONS);
  t.equal(calls.length, 2);
  t.same(zlib.gunzipSync(other), body('aaab'), 'never the other body');
});

t.test("changing the caller's buffer afterwards does not make a false hit", async (t) => {
  const { calls, compress } = counting();
  const gzip = rememberingCompressor(compress);
  const input = body('x');
  gzip(input, OPTIONS);
  input.fill('y');
  const out = gzip(input, OPTIONS);
  t.equal(calls.length, 2, 'the remembered input was a copy');
  t.same(zlib.gunzipSync(out), body('y'));
});

t.test('other options, small bodies and forgotten bodies are compressed again', async (t) => {
  const { calls, compress } = counting();
  const gzip = rememberingCompressor(compress, 2);
  gzip(body('o'), OPTIONS);
  gzip(body('o'), { level: 9 });
  t.equal(calls.length, 2, 'different options: no hit');
  gzip(body('s', 100), OPTIONS);
  gzip(body('s', 100), OPTIONS);
  t.equal(calls.length, 4, 'small bodies are not remembered');
  gzip(body('p'), OPTIONS);
  gzip(body('q'), OPTIONS);
  gzip(body('o'), OPTIONS);
  t.equal(calls.length, 7, 'only the last two bodies are kept');
});

t.test("a text answer's UTF-8 bytes: the same Buffer for the same text, exact bytes always", async (t) => {
  const utf8 = rememberingUtf8(2);
  const text = `{"name":"Mji \\"Mpya\\" – é ✓ \u2028"}`.repeat(400);
  const a = utf8(text);
  t.ok(Buffer.isBuffer(a), 'a large text: bytes');
  t.same(a, Buffer.from(text, 'utf8'), 'exactly its UTF-8');
  t.equal(utf8(text), a, 'the same text again: the same Buffer');
  t.equal(utf8(`${text} `.slice(0, -1)), a, 'an equal text in another string: the same Buffer');
  const other = `${text.slice(0, -2)}é"`;
  const b = utf8(other);
  t.not(b, a, 'another text of the same length: its own bytes');
  t.same(b, Buffer.from(other, 'utf8'));
  t.equal(utf8('{"small":true}'), '{"small":true}', 'a small text is passed on as it is');
  utf8(`${text}x`);
  t.not(utf8(text), a, 'past `keep` texts the oldest is converted again');
  t.same(utf8(text), Buffer.from(text, 'utf8'));
});
