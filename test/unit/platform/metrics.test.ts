/** Request and upstream metrics: tallied in plain numbers, written as prom-client would write them. */
import t from 'tap';
import { Counter, Histogram, Registry } from 'prom-client';
import { buildApp } from '../../../src/app.js';
import { loadSettings } from '../../../src/config/load.js';
import { LabelledTally } from '../../../src/platform/labelled-tally.js';
import {
  REQUEST_SECONDS_BUCKETS,
  UPSTREAM_SECONDS_BUCKETS,
  createMetrics,
  upstreamCallRecorder,
} from '../../../src/platform/metrics.js';
import { basicAuth, TEST_PASSWORD } from '../../support/app.js';
import { memoryServices } from '../../support/memory-services.js';
import { random } from '../../support/seeded-random.js';

/** The metrics as prom-client's own Counter and Histogram (what createMetrics used before). */
function promClientReference() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'mediator_http_requests_total',
    help: 'Requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'mediator_http_request_seconds',
    help: 'Request latency',
    labelNames: ['method', 'route'],
    registers: [registry],
    buckets: REQUEST_SECONDS_BUCKETS,
  });
  const upstreamCalls = new Counter({
    name: 'mediator_upstream_calls_total',
    help: 'Upstream calls by system and outcome (ok, client_error, server_error, timeout, network)',
    labelNames: ['system', 'outcome'],
    registers: [registry],
  });
  const upstreamSeconds = new Histogram({
    name: 'mediator_upstream_call_seconds',
    help: 'Upstream call latency',
    labelNames: ['system'],
    registers: [registry],
    buckets: UPSTREAM_SECONDS_BUCKETS,
  });
  return { registry, requests, requestSeconds, upstreamCalls, upstreamSeconds };
}

const METHODS = ['GET', 'POST', 'PUT', 'HEAD'];
const ROUTES = ['/fhir/Location', '/fhir/R5/Location/:id', 'unmatched', '/with "quote" and \\ and\nline'];
const STATUSES = [200, 201, 404, 412, 502];
const SYSTEMS = ['openlmis', 'dhis2', 'unknown'];

t.test('the exposition text is byte-equal to prom-client fed the same values', async (t) => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const next = random(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
    const ours = createMetrics(false);
    const ref = promClientReference();
    const recordUpstream = upstreamCallRecorder(ours);
    const n = 50 + Math.floor(next() * 400);
    for (let i = 0; i < n; i++) {
      const [method, route, status] = [pick(METHODS), pick(ROUTES), pick(STATUSES)];
      // edges of every bucket too: a value equal to a bound falls in that bucket (le)
      const seconds = next() < 0.2 ? pick(REQUEST_SECONDS_BUCKETS) : next() < 0.05 ? 20 + next() : next() * 3;
      ours.requests.seriesOf(method, route).countAs(String(status));
      ours.requests.seriesOf(method, route).observe(seconds);
      ref.requests.inc({ method, route, status: String(status) });
      ref.requestSeconds.observe({ method, route }, seconds);
      if (next() < 0.3) {
        const system = pick(SYSTEMS);
        const startedAt = 1_700_000_000_000 + i;
        const ended = next() < 0.8;
        const endedAt = ended ? startedAt + Math.floor(next() * 40_000) : undefined;
        const status = next() < 0.7 ? pick(STATUSES) : undefined;
        const message = next() < 0.5 ? 'timed out' : 'ECONNRESET';
        recordUpstream(
          status === undefined
            ? { system, startedAt, endedAt, error: { message } }
            : { system, startedAt, endedAt, response: { status } },
        );
        // the outcome as an operator reads it, written out independently of upstreamOutcome
        const outcome =
          status === undefined
            ? message === 'timed out'
              ? 'timeout'
              : 'network'
            : status < 400
              ? 'ok'
              : status < 500
                ? 'client_error'
                : 'server_error';
        ref.upstreamCalls.inc({ system, outcome });
        if (endedAt !== undefined) ref.upstreamSeconds.observe({ system }, (endedAt - startedAt) / 1000);
      }
    }
    const [text, expected] = [await ours.registry.metrics(), await ref.registry.metrics()];
    t.equal(text, expected, `seed ${seed}: ${n} requests, the same text`);
    t.same(await ours.registry.getMetricsAsJSON(), await ref.registry.getMetricsAsJSON(), `seed ${seed}: same JSON`);
    ours.registry.resetMetrics();
    ref.registry.resetMetrics();
    t.equal(await ours.registry.metrics(), await ref.registry.metrics(), `seed ${seed}: reset, the same text`);
    ours.requests.seriesOf('GET', '/again').countAs('200');
    ref.requests.inc({ method: 'GET', route: '/again', status: '200' });
    t.equal(await ours.registry.metrics(), await ref.registry.metrics(), `seed ${seed}: counted after reset`);
  }
});

t.test('a value that is not a finite number is refused, as prom-client does', async (t) => {
  const tally = new LabelledTally(
    { counter: { name: 'c', help: 'c' }, histogram: { name: 'h', help: 'h' } },
    ['a'],
    'b',
    [1],
  );
  t.throws(() => tally.seriesOf('x').observe(Number.NaN), TypeError);
  t.equal(tally.observed.length, 0, 'nothing kept');
});

/** `name{labels} value` lines of one metric, by their label text. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{.*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

t.test('through the app: every route counted under its URL, unmatched ones as such', async (t) => {
  const mem = memoryServices();
  const settings = loadSettings({ AUTH_PASSWORD: TEST_PASSWORD } as NodeJS.ProcessEnv);
  const metrics = createMetrics(false);
  // what each request was labelled before: request.routeOptions.url, else unmatched
  const expected = new Map<string, number>();
  const app = await buildApp({
    settings: () => settings,
    services: () => mem.services,
    softwareVersion: '0.0.0-test',
    metrics,
    plugins: [
      async (a) => {
        a.addHook('onResponse', (request, reply, done) => {
          const key = `{method="${request.method}",route="${request.routeOptions.url ?? 'unmatched'}",status="${reply.statusCode}"}`;
          expected.set(key, (expected.get(key) ?? 0) + 1);
          done();
        });
        // a route a plugin adds (main.ts's admin and feed routes are added this way)
        a.get('/plugin/:thing', async () => ({ ok: true }));
      },
    ],
  });
  const auth = { authorization: basicAuth };
  const requests = [
    { method: 'GET' as const, url: '/fhir/metadata' },
    { method: 'GET' as const, url: '/fhir/R5/metadata' },
    { method: 'GET' as const, url: '/fhir/Location?_count=2', headers: auth },
    { method: 'GET' as const, url: '/fhir/Location/nope', headers: auth },
    { method: 'GET' as const, url: '/fhir/Location/nope' },
    { method: 'HEAD' as const, url: '/fhir/metadata' },
    { method: 'GET' as const, url: '/no/such/path', headers: auth },
    { method: 'DELETE' as const, url: '/no/such/path', headers: auth },
    { method: 'GET' as const, url: '/plugin/a', headers: auth },
    { method: 'GET' as const, url: '/plugin/b', headers: auth },
    { method: 'GET' as const, url: '/health' },
  ];
  for (let round = 0; round < 3; round++) for (const r of requests) await app.inject(r);
  const before = Object.fromEntries(expected); // the scrape itself is counted once it is answered
  const scrape = await app.inject({ method: 'GET', url: '/metrics', headers: auth });
  t.equal(scrape.statusCode, 200);
  t.match(scrape.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const counted = samples(scrape.body, 'mediator_http_requests_total');
  t.same(Object.fromEntries(counted), before, 'the same labels and counts as routeOptions.url');
  t.equal(counted.get('{method="GET",route="/plugin/:thing",status="200"}'), 6, "a plugin's route");
  t.equal(counted.get('{method="GET",route="unmatched",status="404"}'), 3, 'no route: unmatched');
  t.equal(counted.get('{method="GET",route="/fhir/:type/:id",status="401"}'), 3, 'refused before the handler');
  const timed = samples(scrape.body, 'mediator_http_request_seconds_count');
  const buckets = samples(scrape.body, 'mediator_http_request_seconds_bucket');
  t.ok(timed.size >= 6, 'timed by method and route');
  for (const [labels, count] of timed) {
    const of = [...buckets].filter(([l]) => l.replace(/^\{le="[^"]*",/, '{') === labels);
    t.equal(of.length, REQUEST_SECONDS_BUCKETS.length + 1, `${labels}: every bucket`);
    const values = of.map(([, v]) => v);
    t.ok(
      values.every((v, i) => i === 0 || v >= values[i - 1]),
      `${labels}: cumulative`,
    );
    t.equal(values.at(-1), count, `${labels}: +Inf is the count`);
    const byStatus = [...counted].filter(([l]) => l.startsWith(labels.slice(0, -1))).reduce((s, [, v]) => s + v, 0);
    t.equal(count, byStatus, `${labels}: timed as often as counted`);
  }
  await app.close();
});
