/**
 * npm run bench:http — throughput of a validated create (SupplyRequest) through the mediator, as
 * ratios to a bare Fastify JSON round trip, measured as an outside engineer would:
 *
 * - every server runs in its own process (bench/http/side.ts), the no-op upstream in another
 *   (bench/http/noop-upstream.ts), and this process is only the load generator (autocannon);
 * - the mediator sides use the production composition: pino at info (to /dev/null), the OpenHIM
 *   envelope plugin, auth, response redaction and metrics; `create` is startMediator itself, with
 *   the SQLite outbox, delivering each order to the no-op upstream and reading it back;
 * - every side gets the same warm-up, counted in requests (V8 keeps tiering the hot code up for
 *   ~2,000 requests, so a warm-up by seconds warms a fast side more than a slow one), then the
 *   sides run interleaved (bare, edge, create, medplum, bare, …) for BENCH_ROUNDS rounds; each
 *   ratio is taken within a round and printed as min / median / max over the rounds;
 * - beside the noisy throughput, each server's own CPU time per request (process.cpuUsage read
 *   over IPC around each run), which drifts much less with what else the machine is doing.
 *
 * Sides: bare (baseline), edge (validation, no outbox), forward (bare Fastify making the create's
 * two upstream calls: the floor of any synchronous mediator of this flow), create
 * (production-like), medplum (a hand-written Fastify route validating with @medplum/core
 * validateResource).
 * BENCH_SECONDS (5) per run, BENCH_WARMUP_REQUESTS (3000) requests per side, BENCH_ROUNDS (3),
 * BENCH_CONNECTIONS (10), BENCH_OPENHIM (1: requests carry X-OpenHIM-TransactionID, so the
 * mediator answers with the OpenHIM envelope as it does behind OpenHIM).
 * The servers run compiled by tsc, as production runs (bench/http/compiled.ts); BENCH_TSX=1 runs
 * them through tsx.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { supplyRequest } from '../test/support/samples.js';
import { compileSides, runsThroughTsx } from './http/compiled.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const warmupRequests = Number(process.env.BENCH_WARMUP_REQUESTS ?? 3000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const viaOpenHim = process.env.BENCH_OPENHIM !== '0';
const PASSWORD = 'bench-secret-Hq4'; // side.ts's BENCH_PASSWORD (not imported: that module starts a server)
const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * BENCH_PROFILE=edge,create: those servers' CPU is profiled (V8 sampling profiler) during the
 * measured runs only, one .cpuprofile per side in BENCH_PROFILE_DIR (open in Chrome DevTools).
 */
/**
 * BENCH_BASE_DIR=tree: every side runs again from that tree (the tree before a change: `git
 * archive` into it, node_modules linked), warmed the same, measured right after or before its
 * counterpart in each round; `side ÷ base side` is printed by throughput and by CPU per request.
 */
const BASE_DIR = process.env.BENCH_BASE_DIR ? path.resolve(process.env.BENCH_BASE_DIR) : undefined;
const profiled = new Set((process.env.BENCH_PROFILE ?? '').split(',').filter(Boolean));
const profileDir = path.resolve(process.env.BENCH_PROFILE_DIR ?? 'bench-profiles');

const ALL_SIDES = ['bare', 'edge', 'forward', 'create', 'medplum'] as const;
type Side = (typeof ALL_SIDES)[number];
/** BENCH_SIDES=bare,edge runs only those (bare is always kept: every ratio is to it or another side). */
const SIDES = ALL_SIDES.filter((s) => s === 'bare' || !process.env.BENCH_SIDES || process.env.BENCH_SIDES.includes(s));
const LABEL: Record<Side, string> = {
  bare: 'bare Fastify JSON round trip',
  edge: 'mediator edge alone (validation, no outbox)',
  forward: 'Fastify forwarding to the no-op upstream (floor)',
  create: 'mediator production-like create (SQLite outbox)',
  medplum: 'Fastify + @medplum/core validateResource',
};

interface Child {
  process: ChildProcess;
  url: string;
}

/** Starts a script in its own node process (through tsx unless compiled); resolves with the URL it reports. */
function startChild(script: string, args: string[], execArgv = ['--import', 'tsx']): Promise<Child> {
  const child = fork(path.isAbsolute(script) ? script : path.join(here, 'http', script), args, {
    execArgv,
    // stdout is where pino writes at info: /dev/null, as a log shipper's pipe would cost little
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ process: child, url: m.url }));
    child.once('exit', (code) => reject(new Error(`${script} ${args.join(' ')} exited with ${code}`)));
  });
}

function profile(child: Child, command: { start?: boolean; stopTo?: string }): Promise<unknown> {
  return new Promise((resolve) => {
    child.process.once('message', resolve);
    child.process.send({ profile: command });
  });
}

function ask(child: Child): Promise<{ cpuMicros: number; systemMicros: number; rssMB: number }> {
  return new Promise((resolve) => {
    child.process.once('message', resolve as (m: unknown) => void);
    child.process.send({ cpu: true });
  });
}

// A new order number for every request: the create side must not answer duplicates.
const template = JSON.stringify(supplyRequest({ order: '__ORDER__' }));
let sequence = 0;
const run = `${process.pid}-${Date.now()}`;
const nextBody = () => template.replace('__ORDER__', `B-${run}-${++sequence}`);

const headers: Record<string, string> = {
  'content-type': 'application/fhir+json',
  authorization: `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`,
};

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  cpuMicrosPerRequest: number;
  /** The kernel's part of it (system time: the socket writes and reads, loopback delivery included). */
  systemMicrosPerRequest: number;
  rssMB: number;
}

/** A measured run of `duration` seconds, or (warm-up) of exactly `amount` requests. */
async function load(child: Child, duration: number, amount?: number): Promise<Measured> {
  const before = await ask(child);
  const result = await autocannon({
    url: child.url,
    connections,
    duration,
    ...(amount ? { amount } : {}),
    requests: [
      {
        method: 'POST',
        path: '/fhir/SupplyRequest',
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: nextBody(),
          headers: viaOpenHim ? { ...headers, 'x-openhim-transactionid': `tx-${sequence}` } : headers,
        }),
      },
    ],
  });
  const after = await ask(child);
  if (result.non2xx || result.errors)
    throw new Error(`${child.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(1, result.requests.total),
    systemMicrosPerRequest: (after.systemMicros - before.systemMicros) / Math.max(1, result.requests.total),
    rssMB: after.rssMB,
  };
}

/** Seconds a warm-up may take at most: it is meant to end by its count of requests. */
const WARMUP_TIME_LIMIT = 600;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const spread = (xs: number[], digits = 3) =>
  `${Math.min(...xs).toFixed(digits)} / ${median(xs).toFixed(digits)} / ${Math.max(...xs).toFixed(digits)}`;

async function main() {
  const sides = await compileSides(path.resolve(here, '..'));
  const baseSides = BASE_DIR ? await compileSides(BASE_DIR) : undefined;
  const upstream = await startChild('noop-upstream.ts', []);
  const servers = {} as Record<Side, Child>;
  const baseServers = {} as Record<Side, Child>;
  for (const side of SIDES) {
    servers[side] = await startChild(sides.script, [side, upstream.url], sides.execArgv);
    if (baseSides) baseServers[side] = await startChild(baseSides.script, [side, upstream.url], baseSides.execArgv);
  }
  // each side, then (with BENCH_BASE_DIR) the same side from the base tree
  const runs = SIDES.flatMap((side) => [
    { label: side, side, server: servers[side] },
    ...(baseSides ? [{ label: `base ${side}`, side, server: baseServers[side] }] : []),
  ]);
  try {
    // the same number of warm-up requests for every side, whatever its speed (and however busy
    // the machine: with BENCH_SECONDS as the limit too, a slow side was cut off mid-warm-up and
    // its in-flight requests counted as errors)
    for (const { server } of runs) await load(server, WARMUP_TIME_LIMIT, warmupRequests);
    if (profiled.size) mkdirSync(profileDir, { recursive: true });
    for (const side of SIDES) if (profiled.has(side)) await profile(servers[side], { start: true });
    const results: Record<Side, Measured[]> = { bare: [], edge: [], forward: [], create: [], medplum: [] };
    const baseResults: Record<Side, Measured[]> = { bare: [], edge: [], forward: [], create: [], medplum: [] };
    for (let round = 1; round <= rounds; round++) {
      // with a base tree, odd rounds run the list backwards: neither tree always goes first
      for (const { label, side, server } of round % 2 || !baseSides ? runs : [...runs].reverse()) {
        const m = await load(server, seconds);
        (label === side ? results : baseResults)[side].push(m);
        console.log(
          `round ${round} ${label.padEnd(12)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  ` +
            `${m.cpuMicrosPerRequest.toFixed(0)} µs CPU/req (${m.systemMicrosPerRequest.toFixed(0)} system)  RSS ${m.rssMB} MB`,
        );
      }
    }
    for (const side of SIDES)
      if (profiled.has(side)) await profile(servers[side], { stopTo: path.join(profileDir, `${side}.cpuprofile`) });
    const ratio = (a: Side, b: Side) => results[a].map((m, i) => m.rps / results[b][i].rps);
    const cpuRatio = (a: Side, b: Side) =>
      results[a].map((m, i) => results[b][i].cpuMicrosPerRequest / m.cpuMicrosPerRequest);
    console.log(
      `\n${rounds} rounds × ${seconds} s after ${warmupRequests} warm-up requests per side, ` +
        `${connections} connections, OpenHIM header ${viaOpenHim}, sides ${runsThroughTsx ? 'through tsx' : 'compiled'}`,
    );
    for (const side of SIDES) {
      const rps = results[side].map((m) => m.rps);
      const cpu = results[side].map((m) => m.cpuMicrosPerRequest);
      console.log(`${LABEL[side].padEnd(50)} req/s ${spread(rps, 0)}   µs CPU/req ${spread(cpu, 0)}`);
    }
    console.log('\nratios, min / median / max (throughput; in brackets the same by server CPU per request)');
    const lines: [string, Side, Side][] = [
      ['edge alone / bare Fastify', 'edge', 'bare'],
      ['production-like create / bare Fastify', 'create', 'bare'],
      ['forwarding floor / bare Fastify', 'forward', 'bare'],
      ['production-like create / forwarding floor', 'create', 'forward'],
      ['production-like create / validateResource route', 'create', 'medplum'],
      ['edge alone / validateResource route', 'edge', 'medplum'],
    ];
    const summary: Record<string, unknown> = {
      bench: 'http',
      rounds,
      seconds,
      warmupRequests,
      connections,
      viaOpenHim,
      compiled: !runsThroughTsx,
    };
    for (const [label, a, b] of lines.filter(([, a, b]) => SIDES.includes(a) && SIDES.includes(b))) {
      console.log(`${label.padEnd(50)} ${spread(ratio(a, b))}×   [${spread(cpuRatio(a, b))}×]`);
      summary[`${a}/${b}`] = { throughput: median(ratio(a, b)), cpu: median(cpuRatio(a, b)) };
    }
    if (baseSides) {
      console.log(
        '\nthis tree ÷ the base tree, min / median / max (throughput; in brackets by server CPU per request)',
      );
      for (const side of SIDES) {
        const own = results[side];
        const base = baseResults[side];
        const rps = own.map((m, i) => m.rps / base[i].rps);
        const cpu = own.map((m, i) => base[i].cpuMicrosPerRequest / m.cpuMicrosPerRequest);
        console.log(`${side.padEnd(8)} ÷ base ${side.padEnd(8)} ${spread(rps)}×   [${spread(cpu)}×]`);
        summary[`${side}/base`] = { throughput: median(rps), cpu: median(cpu) };
      }
    }
    console.log(JSON.stringify(summary));
  } finally {
    const children = [...Object.values(servers), ...Object.values(baseServers)];
    for (const child of [...children, upstream]) child.process.disconnect();
    await Promise.all(children.map((c) => new Promise((r) => c.process.once('exit', r))));
    sides.remove();
    baseSides?.remove();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
