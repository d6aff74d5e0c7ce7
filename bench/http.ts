/**
 * npm run bench:http — the mediator's throughput and p50/p99 on a validated create against a
 * no-op upstream, as a ratio to a bare Fastify server doing the same JSON round trip, measured
 * side by side in one run (same machine, same load generator, same payload), plus the mediator's
 * resident memory at idle and under load. Connections: 10, duration per run: BENCH_SECONDS (10).
 * Throughput comes from autocannon; p50/p99 from bench/latency.ts (HDR histogram, µs resolution).
 */
import autocannon from 'autocannon';
import { measureLatency } from './latency.js';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadSettings } from '../src/config/load.js';
import type { FhirServices } from '../src/fhir/services.js';
import { supplyRequest } from '../test/support/samples.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const password = 'bench-secret';
const body = JSON.stringify(supplyRequest());

/** A no-op upstream: the order is "accepted" as it is, so only the mediator's own work is measured. */
const noopServices: FhirServices = {
  orders: {
    read: async () => undefined,
    search: async () => ({ items: [] }),
    write: async (value) => ({ status: 'created', value: { ...value, lastUpdated: '2026-01-01T00:00:00Z' } }),
  },
  writeAll: async () => {
    throw new Error('the benchmark posts no transaction Bundle');
  },
};

/** Throughput from autocannon, then latency from our HDR-histogram clients (bench/latency.ts). */
async function run(url: string, headers: Record<string, string>) {
  const result = await autocannon({ url, method: 'POST', body, headers, connections, duration: seconds });
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const latency = await measureLatency({ url, headers, body, connections, seconds: Math.max(2, seconds / 2) });
  return { rps: result.requests.average, p50: latency.p50Ms, p99: latency.p99Ms, requests: result.requests.total };
}

const rssMB = () => Math.round(process.memoryUsage().rss / 1048576);

async function main() {
  const settings = loadSettings({ AUTH_PASSWORD: password, LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
  const mediator = await buildApp({ settings: () => settings, services: () => noopServices, softwareVersion: 'bench' });
  const mediatorUrl = await mediator.listen({ host: '127.0.0.1', port: 0 });

  const bare = Fastify();
  bare.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (_r, b, done) =>
    done(null, JSON.parse(b as string)),
  );
  bare.post('/fhir/SupplyRequest', async (request, reply) =>
    reply
      .code(201)
      .type('application/fhir+json')
      .send(JSON.stringify({ ...(request.body as object), id: 'x' })),
  );
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

  const idle = rssMB();
  const headers = {
    'content-type': 'application/fhir+json',
    authorization: `Basic ${Buffer.from(`openhim:${password}`).toString('base64')}`,
  };
  await run(`${mediatorUrl}/fhir/SupplyRequest`, headers); // warm-up (JIT, validator load)
  let peak = rssMB();
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMB());
  }, 100);
  const baseline = await run(`${bareUrl}/fhir/SupplyRequest`, headers);
  const ours = await run(`${mediatorUrl}/fhir/SupplyRequest`, headers);
  clearInterval(sampler);
  await mediator.close();
  await bare.close();

  const summary = {
    bench: 'http validated create (SupplyRequest, no-op upstream)',
    connections,
    seconds,
    bareFastify: baseline,
    mediator: ours,
    throughputRatio: Number((ours.rps / baseline.rps).toFixed(3)),
    p50Ratio: Number((ours.p50 / Math.max(baseline.p50, 0.001)).toFixed(3)),
    p99Ratio: Number((ours.p99 / Math.max(baseline.p99, 0.001)).toFixed(3)),
    rssIdleMB: idle,
    rssUnderLoadMB: peak,
  };
  console.log(`bare Fastify : ${baseline.rps.toFixed(0)} req/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);
  console.log(`mediator     : ${ours.rps.toFixed(0)} req/s, p50 ${ours.p50} ms, p99 ${ours.p99} ms`);
  console.log(
    `ratio        : ${summary.throughputRatio}× throughput; RSS ${idle} MB idle, ${peak} MB under load (load generator in the same process)`,
  );
  console.log(JSON.stringify(summary));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
