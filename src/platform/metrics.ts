import type { FastifyInstance, FastifyReply, onResponseHookHandler } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { LabelledTally, type Series } from './labelled-tally.js';
import { exposition } from './metrics-exposition.js';
import { hookList } from './route-hooks.js';

/** One registry per app instance, so tests and several apps in one process do not collide. */
export interface Metrics {
  registry: Registry;
  /** mediator_http_requests_total (method, route, status) and mediator_http_request_seconds (method, route). */
  requests: LabelledTally;
  /** mediator_upstream_calls_total (system, outcome) and mediator_upstream_call_seconds (system). */
  upstream: LabelledTally;
}

export const REQUEST_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const UPSTREAM_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(withDefaults = true): Metrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry });
  const requests = new LabelledTally(
    {
      counter: { name: 'mediator_http_requests_total', help: 'Requests by route and status' },
      histogram: { name: 'mediator_http_request_seconds', help: 'Request latency' },
    },
    ['method', 'route'],
    'status',
    REQUEST_SECONDS_BUCKETS,
  );
  const upstream = new LabelledTally(
    {
      counter: {
        name: 'mediator_upstream_calls_total',
        help: 'Upstream calls by system and outcome (ok, client_error, server_error, timeout, network)',
      },
      histogram: { name: 'mediator_upstream_call_seconds', help: 'Upstream call latency' },
    },
    ['system'],
    'outcome',
    UPSTREAM_SECONDS_BUCKETS,
  );
  // registration order is the exposition's order: requests, then upstream calls, as before
  requests.register(registry);
  upstream.register(registry);
  return { registry, requests, upstream };
}

/** One request into a series: counted by status, timed. */
function recordInto(series: Series, reply: FastifyReply): void {
  series.countAs(String(reply.statusCode));
  series.observe(reply.elapsedTime / 1000);
}

/**
 * Each request's count and latency, labelled with its route's URL. Fastify's request.routeOptions
 * builds a 13-field object on every read, so the URL is captured per route instead: onRoute gives
 * each route its own onResponse hook holding the route's series (one per method). Requests that
 * matched no route (Fastify's 404 context, whose URL is undefined) are counted by one global hook
 * as `unmatched`, as before.
 *
 * Call this before any route is added (buildApp does it first): a route added earlier would not
 * be counted.
 */
export function observeRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onRoute', (route) => {
    const bySeries = new Map<string, Series>();
    const url = route.url;
    const onResponse: onResponseHookHandler = (request, reply, done) => {
      let series = bySeries.get(request.method);
      if (!series) bySeries.set(request.method, (series = metrics.requests.seriesOf(request.method, url)));
      recordInto(series, reply);
      done();
    };
    route.onResponse = [...hookList(route.onResponse), onResponse];
  });
  const unmatched = new Map<string, Series>();
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) {
      let series = unmatched.get(request.method);
      if (!series) unmatched.set(request.method, (series = metrics.requests.seriesOf(request.method, 'unmatched')));
      recordInto(series, reply);
    }
    done();
  });
}

/** /metrics: what can be collected, a metric the store could not give left out (metrics-exposition.ts). */
export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', async (request, reply) => {
    reply.type(metrics.registry.contentType);
    return exposition(metrics.registry, ({ names, reason }) =>
      request.log.warn({ metrics: names, reason }, 'metrics left out: their values could not be read'),
    );
  });
}

/** The outcome label of an upstream call: what an operator alerts on. */
export function upstreamOutcome(call: {
  response?: { status: number };
  error?: { message: string; code?: string };
}): string {
  if (call.response)
    return call.response.status < 400 ? 'ok' : call.response.status < 500 ? 'client_error' : 'server_error';
  return /timeout|timed out|abort/i.test(`${call.error?.code ?? ''} ${call.error?.message ?? ''}`)
    ? 'timeout'
    : 'network';
}

/** Counts and times every upstream call into the metrics, each system's series looked up once. */
export function upstreamCallRecorder(
  metrics: Metrics,
): (call: {
  system?: string;
  startedAt: Date | number;
  endedAt?: Date | number;
  response?: { status: number };
  error?: { message: string; code?: string };
}) => void {
  const bySystem = new Map<string, Series>();
  return (call) => {
    const system = call.system ?? 'unknown';
    let series = bySystem.get(system);
    if (!series) bySystem.set(system, (series = metrics.upstream.seriesOf(system)));
    series.countAs(upstreamOutcome(call));
    if (call.endedAt === undefined) return;
    series.observe((Number(call.endedAt) - Number(call.startedAt)) / 1000);
  };
}
