// Redactions remembered by identical text, under the redactor's generation.
import Fastify from 'fastify';
import t from 'tap';
import { registerResponseRedaction } from '../../../src/platform/response-redaction.js';
import { MASK, Redactor } from '../../../src/platform/redaction.js';
import { MIN_REMEMBERED_LENGTH, TextMemo } from '../../../src/platform/text-memo.js';

const SECRET = 'Remembered-Passw0rd-1';

/** A redactor whose redact() calls are counted. */
function countingRedactor(): { redactor: Redactor; calls: () => number } {
  const redactor = new Redactor();
  redactor.learn(SECRET);
  let calls = 0;
  const redact = redactor.redact.bind(redactor);
  redactor.redact = (text: string) => {
    calls += 1;
    return redact(text);
  };
  return { redactor, calls: () => calls };
}

t.test('a text made again is answered from memory; another text, context or generation is made', async (t) => {
  const { redactor, calls } = countingRedactor();
  const memo = new TextMemo<string>(redactor, 2);
  const make = (text: string) => redactor.redact(text);
  const long = `${'a'.repeat(MIN_REMEMBERED_LENGTH)} ${SECRET}`;
  t.equal(memo.get(long, '', make), `${'a'.repeat(MIN_REMEMBERED_LENGTH)} ${MASK}`);
  t.equal(memo.get(`${long}`.slice(0), '', make), `${'a'.repeat(MIN_REMEMBERED_LENGTH)} ${MASK}`);
  t.equal(calls(), 1, 'an equal text (another string) hits');
  memo.get(long, 'other context', make);
  t.equal(calls(), 2, 'another context misses');
  const sameLength = `${'b'.repeat(MIN_REMEMBERED_LENGTH)} ${SECRET}`;
  t.equal(memo.get(sameLength, '', make), `${'b'.repeat(MIN_REMEMBERED_LENGTH)} ${MASK}`, 'same length, other text');
  t.equal(calls(), 3);
  memo.get(long, '', make);
  t.equal(calls(), 4, 'bounded: the oldest of 2 went');
  const short = `short ${SECRET}`;
  memo.get(short, '', make);
  memo.get(short, '', make);
  t.equal(calls(), 6, 'short texts are made every time');
});

t.test('the response hook: same answer redacted once; a secret learnt live is masked at once', async (t) => {
  const { redactor, calls } = countingRedactor();
  const app = Fastify();
  registerResponseRedaction(app, redactor);
  const later = 'Learnt-later-Passw0rd';
  const body = `${'x'.repeat(4000)} ${SECRET} ${later}`;
  app.get('/answer', async (_request, reply) => {
    reply.type('application/fhir+json');
    return body;
  });
  const first = await app.inject({ method: 'GET', url: '/answer' });
  const second = await app.inject({ method: 'GET', url: '/answer' });
  t.equal(first.body, `${'x'.repeat(4000)} ${MASK} ${later}`);
  t.equal(second.body, first.body, 'the same answer');
  t.equal(calls(), 1, 'redacted once');
  redactor.learn(later);
  const third = await app.inject({ method: 'GET', url: '/answer' });
  t.equal(third.body, `${'x'.repeat(4000)} ${MASK} ${MASK}`, 'the new secret masked');
  t.equal(calls(), 2);
  await app.close();
});
