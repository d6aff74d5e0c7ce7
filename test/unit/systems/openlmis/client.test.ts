import t from 'tap';
import { runWithOrchestrations, createOrchestrationStore, callsOf } from '../../../../src/platform/call-recording.js';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { LmisError } from '../../../../src/systems/openlmis/errors.js';
import { failure, startClientHarness } from './client-harness.js';

t.test('all() follows Spring pages until last, and takes plain arrays as they are', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  const pages = h.counter('GET', '/api/facilities');
  const facilities = await h.client.all<{ id: string }>({ path: '/api/facilities', pageSize: 5 });
  const expected = Object.keys(h.seed.facilities).length;
  t.equal(facilities.length, expected, 'every facility across pages');
  t.equal(new Set(facilities.map((f) => f.id)).size, expected, 'no page read twice');
  t.equal(pages(), Math.ceil(expected / 5), 'one request per page');
  const programs = await h.client.all<{ code: string }>({ path: '/api/programs' });
  t.same(programs.map((p) => p.code).sort(), Object.keys(h.seed.programs).sort(), 'bare array answer');
});

t.test('a GET is retried after a 503; a POST is not', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  h.sb.faults.failNext('GET', '/api/programs', 503, 1);
  const programs = await h.client.call<unknown[]>({ method: 'GET', path: '/api/programs' });
  t.equal(programs.length, 3, 'the retry got the answer');

  h.sb.faults.failNext('POST', '/api/facilities/search', 503, 1);
  const afterFailure = h.counter('POST', '/api/facilities/search');
  const err = await failure(
    h.client.call({ method: 'POST', path: '/api/facilities/search', body: { code: 'LK-HC-101' } }),
  );
  t.type(err, UpstreamError);
  t.equal(err.transient, true, '503 is transient (the outbox retries)');
  t.equal(err.system, 'openlmis');
  t.equal(afterFailure(), 0, 'the client itself never re-sent the POST');
});

t.test("a POST marked retry:true is retried (idempotent by the caller's word)", async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  h.sb.faults.failNext('POST', '/api/facilities/search', 502, 1);
  const page = await h.client.call<{ content: unknown[] }>({
    method: 'POST',
    path: '/api/facilities/search',
    body: { code: 'LK-HC-101' },
    retry: true,
  });
  t.equal(page.content.length, 1);
});

t.test('upstream 4xx bodies become errors naming the upstream reason', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  const err = await failure(h.client.call({ method: 'POST', path: '/api/facilities', body: { name: 'no code' } }));
  t.type(err, LmisError);
  t.equal(err.status, 422, 'upstream 400 is a business-rule failure for our client');
  t.equal(err.transient, false);
  t.equal(err.messageKey, 'referenceData.error.facility.code.required');
  t.match(err.message, /referenceData\.error\.facility\.code\.required: The facility code is required/);

  const notFound = await failure(
    h.client.call({ method: 'GET', path: '/api/facilities/00000000-0000-4000-8000-000000000000' }),
  );
  t.equal(notFound.status, 404);
  const accepted = await h.client.send({
    method: 'GET',
    path: '/api/facilities/00000000-0000-4000-8000-000000000000',
    accept: [404],
  });
  t.equal(accepted.status, 404, 'accepted statuses are answers, not errors');
});

t.test('a hung call times out as a transient 504-class error; a GET then retries', async (t) => {
  const h = await startClientHarness({ timeoutMs: 300 });
  t.teardown(h.close);
  h.sb.faults.add({ method: 'POST', path: '/api/facilities/search', times: 1, action: { type: 'hang' } });
  const err = await failure(h.client.call({ method: 'POST', path: '/api/facilities/search', body: {} }));
  t.type(err, UpstreamError);
  t.equal(err.transient, true);
  t.equal(err.status, 504);
  t.match(err.message, /did not answer within 300 ms/);
  h.sb.faults.add({ method: 'GET', path: '/api/programs', times: 1, action: { type: 'hang' } });
  const programs = await h.client.call<unknown[]>({ method: 'GET', path: '/api/programs' });
  t.equal(programs.length, 3);
  h.sb.faults.add({ method: 'GET', path: '/api/programs', times: 1, action: { type: 'reset' } });
  t.equal(
    (await h.client.call<unknown[]>({ method: 'GET', path: '/api/programs' })).length,
    3,
    'a reset GET is retried too',
  );
});

t.test('the concurrency limit queues calls beyond it', async (t) => {
  const h = await startClientHarness({ concurrency: 2, timeoutMs: 800 });
  t.teardown(h.close);
  await h.client.call({ method: 'GET', path: '/api/programs' }); // log in first
  // the first two requests to reach the server hang; a third in flight at the same time would succeed at once
  const hang = h.sb.faults.add({ method: 'GET', path: '/api/programs', times: 2, action: { type: 'hang' } });
  const passed = h.counter('GET', '/api/programs'); // counts only what the hang rule let through
  const hung = () => h.sb.faults.list().find((r) => r.id === hang.id)?.hits ?? 0;
  const arrived = () => hung() + passed();
  const settled: string[] = [];
  let arrivedAtFirstSettle = -1;
  const note = (entry: string) => {
    if (settled.length === 0) arrivedAtFirstSettle = arrived();
    settled.push(entry);
  };
  const call = (name: string) =>
    h.client.call({ method: 'GET', path: '/api/programs', retry: false }).then(
      () => note(`${name} ok`),
      () => note(`${name} failed`),
    );
  await Promise.all([call('a'), call('b'), call('c')]);
  t.equal(arrivedAtFirstSettle, 2, 'only two calls had reached the server before the first slot was freed');
  t.equal(arrived(), 3);
  t.same(
    settled.filter((s) => s.endsWith('failed')).sort(),
    ['a failed', 'b failed'],
    'the two calls sent first hung and timed out',
  );
  t.ok(settled.indexOf('c ok') > 0, 'the third waited for a slot, then went through');
});

t.test('every call is recorded as an orchestration without credentials', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  const store = createOrchestrationStore();
  await runWithOrchestrations(() => h.client.call({ method: 'GET', path: '/api/programs' }), store);
  const calls = callsOf(store);
  t.equal(calls.length, 2, 'login + call');
  t.equal(calls[0].url, `${h.sb.url}/api/oauth/token`);
  t.notMatch(JSON.stringify(calls), /password=password|"password"/, 'no password');
  t.notMatch(JSON.stringify(calls[1].requestHeaders), /Bearer [0-9a-f-]{36}/, 'no bearer token');
  t.notMatch(
    JSON.stringify(calls[0].response?.body ?? ''),
    /access_token":"[0-9a-f-]{36}/,
    'the token in the login answer is masked',
  );
  t.equal(calls[1].system, 'openlmis');
  t.equal(calls[1].response?.status, 200);
});
