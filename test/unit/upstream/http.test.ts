import t from 'tap';
import { Agent } from 'undici';
import { exchange, maskedHeaders, MASKED } from '../../../src/upstream/http.js';
import { collectAllPages } from '../../../src/upstream/paging.js';
import { failure, recorded, startUpstream } from './harness.js';

t.test('credential headers are masked, others kept', async (t) => {
  t.same(
    maskedHeaders({
      Authorization: 'ApiToken d2pat_abc123',
      cookie: 'JSESSIONID=abc; lang=en',
      'set-cookie': ['JSESSIONID=abc; Path=/; HttpOnly'],
      'x-api-key': 'k-123',
      accept: 'application/json',
      'www-authenticate': 'Bearer realm="x", error="invalid_token"',
    }),
    {
      Authorization: `ApiToken ${MASKED}`,
      cookie: `JSESSIONID=${MASKED}; lang=${MASKED}`,
      'set-cookie': [`JSESSIONID=${MASKED}; Path=/; HttpOnly`],
      'x-api-key': MASKED,
      accept: 'application/json',
      'www-authenticate': 'Bearer realm="x", error="invalid_token"',
    },
  );
});

t.test(
  'a slow answer is a transient timeout, recorded as an error; a refused connection is transient too',
  async (t) => {
    const u = await startUpstream((app) =>
      app.get('/slow', async () => new Promise((r) => setTimeout(() => r({}), 1_000))),
    );
    const agent = new Agent();
    t.teardown(async () => {
      await agent.close();
      await u.close();
    });
    const { calls, result } = await recorded(() =>
      failure(
        exchange(agent, { system: 'sys', method: 'GET', baseUrl: u.url, path: '/slow', headers: {}, timeoutMs: 100 }),
      ),
    );
    t.equal(result.transient, true);
    t.equal(result.issues[0].code, 'timeout');
    t.match(result.message, /sys: GET \/slow did not answer within 100 ms/);
    t.equal(calls.length, 1);
    t.match(calls[0].error?.message, /did not answer/);
    t.equal(calls[0].response, undefined);

    const refused = await failure(
      exchange(agent, {
        system: 'sys',
        method: 'GET',
        baseUrl: 'http://127.0.0.1:1',
        path: '/x',
        headers: {},
        timeoutMs: 1_000,
      }),
    );
    t.equal(refused.transient, true);
    t.match(refused.message, /ECONNREFUSED/);
  },
);

t.test('the paging loop stops at the last page and refuses an answer that is not a page', async (t) => {
  const pages = [[1, 2], [3, 4], [5]];
  const read = (body: unknown, page: number) =>
    Array.isArray(body) ? { items: body as number[], last: page === pages.length - 1 } : undefined;
  t.same(
    await collectAllPages<number>(async (page) => pages[page], 2, { system: 's', what: 'GET /x', readPage: read }),
    [1, 2, 3, 4, 5],
  );
  const err = await failure(collectAllPages(async () => 'oops', 2, { system: 's', what: 'GET /x', readPage: read }));
  t.equal(err.transient, true, "the upstream's fault, never the client's: a write meeting it is retried");
  t.equal(err.status, 502);
  t.match(err.message, /GET \/x answered neither a page nor an array/);
  const endless = await failure(
    collectAllPages(async () => [1], 1, {
      system: 's',
      what: 'GET /y',
      readPage: () => ({ items: [1], last: false }),
      maxPages: 5,
    }),
  );
  t.match(endless.message, /kept paging past 5 pages/);
  t.equal(endless.transient, true, 'nor is a pager that never ends: a write meeting it is retried, then dead-lettered');
  t.equal(endless.issues[0].code, 'too-costly');
});

t.test('the record keeps the answer as its text, and its headers masked when read', async (t) => {
  const text = '{\n  "id": "r1",\n  "lines": [1, 2]\n}';
  const u = await startUpstream((app) =>
    app.get('/pretty', async (_req, reply) =>
      reply.header('content-type', 'application/json').header('set-cookie', 'SESSION=s3cr3t; Path=/').send(text),
    ),
  );
  const agent = new Agent();
  t.teardown(async () => {
    await agent.close();
    await u.close();
  });
  const { calls, result } = await recorded(() =>
    exchange(agent, {
      system: 'sys',
      method: 'GET',
      baseUrl: u.url,
      path: '/pretty',
      headers: { authorization: 'Bearer tok-123456', accept: 'application/json' },
      timeoutMs: 5_000,
    }),
  );
  t.same(result.body, { id: 'r1', lines: [1, 2] }, 'the caller gets the parsed body');
  t.equal(calls[0].response?.body, text, 'the record holds the upstream text as it came, not a re-serialisation');
  t.same(calls[0].requestHeaders, { authorization: `Bearer ${MASKED}`, accept: 'application/json' });
  t.equal(calls[0].response?.headers?.['set-cookie'], `SESSION=${MASKED}; Path=/`);
  t.notMatch(JSON.stringify(calls[0]), /tok-123456|s3cr3t/, 'no credential in the record, serialised whole');
});
