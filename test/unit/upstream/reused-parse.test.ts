import t from 'tap';
import { Agent } from 'undici';
import { exchange, type RawRequest } from '../../../src/upstream/http.js';
import { ReusedParse } from '../../../src/upstream/reused-parse.js';
import { recorded, startUpstream } from './harness.js';

/** A parse that counts its calls, so a test sees whether the text was parsed again. */
function countingParse(text: string) {
  const counter = { parses: 0, parse: () => (counter.parses++, JSON.parse(text) as unknown) };
  return counter;
}

const PAGE = JSON.stringify({ content: [{ id: 'f1', name: 'Balaka', zone: { id: 'z1', name: 'South' } }], last: true });

t.test('the same text gives the same frozen value; a changed text is parsed again', async (t) => {
  const memo = new ReusedParse();
  const first = countingParse(PAGE);
  const a = memo.parse('http://x/p', PAGE, 'application/json', first.parse) as {
    content: { name: string; zone: { name: string } }[];
  };
  // an equal text that is a different string object: compared by content
  const again = countingParse(PAGE);
  const b = memo.parse('http://x/p', (' ' + PAGE).slice(1), 'application/json', again.parse);
  t.equal(first.parses, 1);
  t.equal(again.parses, 0, 'not parsed again');
  t.equal(b, a, 'the very same value');

  t.ok(Object.isFrozen(a) && Object.isFrozen(a.content) && Object.isFrozen(a.content[0].zone), 'deep-frozen');
  t.throws(() => {
    a.content[0].zone.name = 'changed';
  }, TypeError);
  t.equal(a.content[0].zone.name, 'South', 'nobody can change it');

  const changedText = PAGE.replace('Balaka', 'Balaka Town');
  const changed = countingParse(changedText);
  const c = memo.parse('http://x/p', changedText, 'application/json', changed.parse) as typeof a;
  t.equal(changed.parses, 1, 'parsed again');
  t.not(c, a);
  t.equal(c.content[0].name, 'Balaka Town');
  t.ok(Object.isFrozen(c.content[0]));
  // and the first text again is the first text's value: no value outlives its own text
  const back = countingParse(PAGE);
  const d = memo.parse('http://x/p', PAGE, 'application/json', back.parse) as typeof a;
  t.equal(back.parses, 1);
  t.equal(d.content[0].name, 'Balaka');
});

t.test('values are kept per URL and content type, never shared across them', async (t) => {
  const memo = new ReusedParse();
  const a = memo.parse('http://x/p?page=0', PAGE, 'application/json', countingParse(PAGE).parse);
  const other = countingParse(PAGE);
  const b = memo.parse('http://x/p?page=1', PAGE, 'application/json', other.parse);
  t.equal(other.parses, 1, 'another URL parses its own');
  t.not(b, a);
  const typed = countingParse(PAGE);
  memo.parse('http://x/p?page=0', PAGE, 'text/plain', typed.parse);
  t.equal(typed.parses, 1, 'another content type parses again');
});

t.test('memory is bounded by URLs and by characters; text answers are not kept', async (t) => {
  const few = new ReusedParse(2, 1_000_000);
  for (const page of [0, 1, 2]) few.parse(`http://x/p?page=${page}`, PAGE, undefined, countingParse(PAGE).parse);
  t.equal(few.size, 2);
  const oldest = countingParse(PAGE);
  few.parse('http://x/p?page=0', PAGE, undefined, oldest.parse);
  t.equal(oldest.parses, 1, 'the longest unused was dropped');

  // room for four pages of text (a text over a quarter of the budget is not kept at all)
  const small = new ReusedParse(64, PAGE.length * 4);
  for (const page of [0, 1, 2, 3, 4])
    small.parse(`http://x/p?page=${page}`, PAGE, undefined, countingParse(PAGE).parse);
  t.equal(small.size, 4, 'within the character budget');
  const bigText = JSON.stringify({ huge: 'x'.repeat(PAGE.length * 2) });
  const big = [countingParse(bigText), countingParse(bigText)];
  for (const p of big) small.parse('http://x/big', bigText, undefined, p.parse);
  t.equal(big[1].parses, 1, 'a text over a quarter of the budget is parsed every time');
  const word = [countingParse('"Balaka"'), countingParse('"Balaka"')];
  for (const p of word) small.parse('http://x/word', '"Balaka"', undefined, p.parse);
  t.equal(word[1].parses, 1, 'a string answer is not kept');
  t.equal(small.size, 4, 'and neither pushed a page out');
});

t.test('through the exchange: only calls that ask, and only 2xx answers, reuse a parse', async (t) => {
  let page = PAGE;
  let status = 200;
  const u = await startUpstream((app) =>
    app.get('/api/facilities/full', async (_req, reply) => reply.code(status).type('application/json').send(page)),
  );
  const agent = new Agent();
  t.teardown(async () => {
    await agent.close();
    await u.close();
  });
  const get = (reuseParsed?: boolean) => {
    const req: RawRequest = {
      system: 'sys',
      method: 'GET',
      baseUrl: u.url,
      path: '/api/facilities/full',
      query: { page: 0, size: 20 },
      headers: {},
      timeoutMs: 5_000,
      reuseParsed,
    };
    return exchange(agent, req);
  };

  const first = await get(true);
  const { calls, result: second } = await recorded(() => get(true));
  t.equal(second.body, first.body, 'unchanged page: the same value');
  t.ok(Object.isFrozen(second.body), 'frozen');
  t.equal(calls[0].response?.body, page, 'the record keeps the text as it came');
  t.equal(u.hits('GET /api/facilities/full'), 2, 'still fetched every time');

  page = PAGE.replace('South', 'North');
  const changed = await get(true);
  t.not(changed.body, first.body);
  t.equal((changed.body as { content: { zone: { name: string } }[] }).content[0].zone.name, 'North');

  const plain = [await get(), await get()];
  t.not(plain[0].body, plain[1].body, 'a call that does not ask gets its own value');
  t.notOk(Object.isFrozen(plain[0].body), 'which it may change');

  status = 500;
  const failed = [await get(true), await get(true)];
  t.equal(failed[0].status, 500);
  t.not(failed[0].body, failed[1].body, 'an error answer is never shared');
});
