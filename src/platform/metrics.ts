import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests and several apps in one process do not collide. */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestSeconds: Histogram<'method' | 'route'>;
  upstreamCalls: Counter<'system' | 'outcome'>;
  upstreamSeconds: Histogram<'system'>;
}

export function createMetrics(withDefaults = true): Metrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'mediator_http_requests_total',
      help: 'Requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'mediator_http_request_seconds',
      help: 'Request latency',
      labelNames: ['method', 'route'],
      registers: [registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    upstreamCalls: new Counter({
      name: 'mediator_upstream_calls_total',
      help: 'Upstream calls by system and outcome (ok, client_error, server_error, timeout, network)',
      labelNames: ['system', 'outcome'],
      registers: [registry],
    }),
    upstreamSeconds: new Histogram({
      name: 'mediator_upstream_call_seconds',
      help: 'Upstream call latency',
      labelNames: ['system'],
      registers: [registry],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
  };
}

/**
 * Each request's count and latency. prom-client hashes a label object on every inc/observe; the
 * label sets are few (method × route × status), so their children are looked up once and kept.
 */
function requestRecorder(metrics: Metrics): (method: string, route: string, status: number, seconds: number) => void {
  const counts = new Map<string, { inc(): void }>();
  const timings = new Map<string, { observe(value: number): void }>();
  return (method, route, status, seconds) => {
    const timingKey = `${method} ${route}`;
    const countKey = `${timingKey} ${status}`;
    let count = counts.get(countKey);
    if (!count) counts.set(countKey, (count = metrics.requests.labels(method, route, String(status))));
    let timing = timings.get(timingKey);
    if (!timing) timings.set(timingKey, (timing = metrics.requestSeconds.labels(method, route)));
    count.inc();
    timing.observe(seconds);
  };
}

export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  const record = requestRecorder(metrics);
  app.addHook('onResponse', (request, reply, done) => {
    record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
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

/**
 * Counts and times every upstream call into the metrics. As for requests, the children of each
 * label set are looked up once and kept: hashing the label objects on every call was ~2.5 % of
 * the mediator's CPU per OpenLMIS order (five calls each).
 */
export function upstreamCallRecorder(
  metrics: Metrics,
): (call: {
  system?: string;
  startedAt: Date | number;
  endedAt?: Date | number;
  response?: { status: number };
  error?: { message: string; code?: string };
}) => void {
  const counts = new Map<string, { inc(): void }>();
  const timings = new Map<string, { observe(value: number): void }>();
  return (call) => {
    const system = call.system ?? 'unknown';
    const outcome = upstreamOutcome(call);
    const countKey = `${system} ${outcome}`;
    let count = counts.get(countKey);
    if (!count) counts.set(countKey, (count = metrics.upstreamCalls.labels(system, outcome)));
    count.inc();
    if (call.endedAt === undefined) return;
    let timing = timings.get(system);
    if (!timing) timings.set(system, (timing = metrics.upstreamSeconds.labels(system)));
    timing.observe((Number(call.endedAt) - Number(call.startedAt)) / 1000);
  };
}
