/**
 * npx tsx bench/instructions.ts — instructions per request of bench:http's servers, counted by
 * valgrind's callgrind, which does not drift with what else the machine is doing (the µs of CPU
 * per request of bench:http swing by 10-30 % on this shared machine; instruction counts by ~1 %).
 *
 * Each side (bench/http/side.ts, the same servers as bench:http) runs under
 * `valgrind --tool=callgrind --instr-atstart=no`, so start-up runs uninstrumented. Then:
 *   1. warm-up: BENCH_WARMUP_REQUESTS (3000) requests, so V8 has tiered up the hot code (it
 *      keeps optimising for ~2,000 requests; the same count for every side);
 *   2. instrumentation on (callgrind_control -i on), a few requests to settle the translations;
 *   3. for N in [N1, N2] (BENCH_N1=200, BENCH_N2=800): zero the counters, send N requests,
 *      dump; I(N) = the dump's instruction total;
 *   4. per request = (I(N2) − I(N1)) / (N2 − N1): what is fixed per measurement (the control
 *      commands, timers firing) cancels out.
 * Steps 3-4 run BENCH_REPEATS (2) times; the median is printed, with min and max. Each window is
 * also printed without V8's compiling (COMPILE_ENTRIES' inclusive instructions, read from the
 * dump by callgrind_annotate, taken off I(N) before the difference): TurboFan still re-optimizes
 * after the warm-up, a quarter of a window at random, and hides changes of a few per cent.
 *
 * Work that runs by the clock rather than per request is counted per window too, in proportion
 * to its wall time, which valgrind stretches and the machine's load changes: on the edge,
 * prom-client's default metrics (an event-loop-delay timer every 10 ms); BENCH_EDGE_WITHOUT=metrics
 * (bench/http/side.ts) leaves them out. Session 11: even so, and with a young generation too large
 * to fill in a window (--min/--max-semi-space-size=128), the edge's windows spread about ±12 %
 * (1.61M-2.11M per request for one tree), in the same order in every tree run (repeat 1 lowest).
 * Compare two trees repeat by repeat, with BENCH_REPEATS >= 4, rather than by one median.
 *
 * The sides run compiled by tsc, as production runs them (bench/http/compiled.ts; BENCH_TSX=1:
 * through tsx, as before session 13): each tree is compiled once, before any server starts.
 * Requests are the bench:http create (a SupplyRequest with a new order number each, Basic auth,
 * the OpenHIM transaction header unless BENCH_OPENHIM=0), BENCH_CONNECTIONS (4) in flight.
 * BENCH_SIDES=bare,edge,medplum,forward,create (default bare,edge; the ratios are to bare when it is
 * measured); forward and create call the no-op upstream, which runs in its own process, uncounted.
 * BENCH_BASE_DIR=dir adds each side again from that tree (the tree before a change: `git archive`
 * into it, node_modules linked), run side by side: every server is started and warmed first, then
 * each repeat takes its two windows on every server in turn (the order reversed on odd repeats),
 * and `side ÷ base side` is printed repeat by repeat. The windows spread with the repeat index
 * the same way in both trees (session 11), so the paired ratios are steadier than two medians.
 * Node's JIT writes code into memory valgrind has translated: --smc-check=all-non-file makes
 * valgrind notice. Callgrind counts every thread (GC and compiler threads included), as
 * process.cpuUsage does.
 */
import { spawn, execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import { supplyRequest } from '../test/support/samples.js';
import { compileInstructions } from './callgrind-compile.js';
import { compileSides, runsThroughTsx, type SideScript } from './http/compiled.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const N1 = Number(process.env.BENCH_N1 ?? 200);
const N2 = Number(process.env.BENCH_N2 ?? 800);
const repeats = Number(process.env.BENCH_REPEATS ?? 2);
const warmupRequests = Number(process.env.BENCH_WARMUP_REQUESTS ?? 3000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 4);
const viaOpenHim = process.env.BENCH_OPENHIM !== '0';
const PASSWORD = 'bench-secret-Hq4'; // side.ts's BENCH_PASSWORD
/**
 * BENCH_KEEP_DUMPS=1 keeps each server's callgrind dumps (one per window, in the order taken) for
 * a by-function comparison (callgrind_annotate on each); with BENCH_NODE_FLAGS adding
 * --perf-basic-prof, /tmp/perf-PID.map names the JIT code's addresses.
 */
const keepDumps = process.env.BENCH_KEEP_DUMPS === '1';
/**
 * A major GC or a compile job costs tens of millions of instructions and lands in one window and
 * not another; V8's helper threads spin under valgrind's one-thread-at-a-time scheduling. So each
 * window starts from a collected young generation (--expose-gc, BENCH_GC below), V8 does its GC
 * and compiling on the main thread (--single-threaded), and no idle-time memory reducer runs
 * while the counters wait.
 */
// BENCH_NODE_FLAGS adds to these (as in bench/openlmis-instructions.ts): replacing them, a profile
// run with --perf-basic-prof alone lost --single-threaded and counted V8's compiling (session 40)
const nodeFlags = ['--expose-gc', '--single-threaded', '--no-memory-reducer'].concat(
  (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
);

const ALL_SIDES = ['bare', 'edge', 'medplum', 'forward', 'create'] as const;
/** Sides that call the no-op upstream (bench/http/noop-upstream.ts, its own process, not instrumented). */
const UPSTREAM_SIDES: readonly Side[] = ['forward', 'create'];
type Side = (typeof ALL_SIDES)[number];
const requested = (process.env.BENCH_SIDES ?? 'bare,edge').split(',');
const SIDES = ALL_SIDES.filter((s) => requested.includes(s));

const BASE_DIR = process.env.BENCH_BASE_DIR ? path.resolve(process.env.BENCH_BASE_DIR) : undefined;
const ownDir = path.resolve(here, '..');

/** One server measured: a side of this tree, or of the base tree. */
interface Run {
  label: string;
  side: Side;
  dir: string;
}

const RUNS: Run[] = SIDES.flatMap((side) => [
  { label: side, side, dir: ownDir },
  ...(BASE_DIR ? [{ label: `base ${side}`, side, dir: BASE_DIR }] : []),
]);

interface Instrumented {
  child: ChildProcess;
  url: string;
  outDir: string;
}

/** Each tree's side.ts compiled once (bench/http/compiled.ts), as production runs it. */
const sideScripts = new Map<string, Promise<SideScript>>();
const sideScriptOf = (dir: string): Promise<SideScript> => {
  if (!sideScripts.has(dir)) sideScripts.set(dir, compileSides(dir));
  return sideScripts.get(dir)!;
};

/** The no-op upstream the forward and create sides call, started once (not under valgrind). */
let upstream: Promise<{ child: ChildProcess; url: string }> | undefined;
function upstreamUrl(): Promise<string> {
  upstream ??= new Promise((resolve, reject) => {
    const child = fork(path.join(here, 'http', 'noop-upstream.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('message', (m: { url: string }) => resolve({ child, url: m.url }));
    child.once('exit', (code) => reject(new Error(`the no-op upstream exited with ${code}`)));
  });
  return upstream.then((u) => u.url);
}

/** Starts a tree's side under callgrind with instrumentation off; resolves once it reports its URL. */
async function startUnderCallgrind({ side, dir }: Run): Promise<Instrumented> {
  const sideArgs = UPSTREAM_SIDES.includes(side) ? [side, await upstreamUrl()] : [side];
  const { script, execArgv } = await sideScriptOf(dir);
  const outDir = mkdtempSync(path.join(tmpdir(), `callgrind-${side}-`));
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all-non-file',
      '--instr-atstart=no',
      `--callgrind-out-file=${path.join(outDir, 'cg.out')}`,
      process.execPath,
      ...nodeFlags,
      ...execArgv,
      script,
      ...sideArgs,
    ],
    // valgrind execs node in place: the IPC channel (fd 3) and pid are node's
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, BENCH_UNDER_VALGRIND: '1' } },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ child, url: m.url, outDir }));
    child.once('exit', (code) => reject(new Error(`${side} under valgrind exited with ${code}:\n${stderr}`)));
  });
}

async function control(server: Instrumented, ...args: string[]): Promise<void> {
  await run('callgrind_control', [...args, String(server.child.pid)]);
}

/**
 * How each window starts: `minor` (default) empties the young generation; `full` (BENCH_GC=full,
 * sessions 11-13) collects the whole heap. Session 14: a forced full GC makes V8 drop most of its
 * optimized code, so the next window re-optimized ~250 functions per 800 edge creates (trace-opt)
 * and TurboFan was ~47 % of the edge's counted instructions (callgrind_annotate: 615M of 1,280M in
 * the 800-request window), a cost a running server does not pay: it made one mark-compact in
 * 5,450 creates (at start-up), and after a minor GC the windows re-optimize as few functions as
 * with none (44, 25, 16 trace lines per window against 262, 251, 300). A side built before
 * session 14 takes any gc message as a full GC: compare trees that both have this.
 */
const gcBeforeWindow = process.env.BENCH_GC === 'full' ? 'full' : 'minor';

/** A GC in the server (gcBeforeWindow), so every counted window starts from the same heap state. */
function collect(server: Instrumented): Promise<void> {
  return new Promise((resolve) => {
    server.child.once('message', () => resolve());
    server.child.send({ gc: gcBeforeWindow });
  });
}

/** One window's counts: every instruction, and those V8 spent compiling (COMPILE_ENTRIES). */
interface Counts {
  total: number;
  compile: number;
}

/** Dumps the counters and reads the new dump's instruction total and compile share. */
async function dumpInstructions(server: Instrumented): Promise<Counts> {
  const before = new Set(readdirSync(server.outDir));
  await control(server, '-d');
  for (let waited = 0; waited < 60_000; waited += 100) {
    const fresh = readdirSync(server.outDir).filter((f) => !before.has(f));
    for (const file of fresh) {
      const full = path.join(server.outDir, file);
      const match = /^summary: (\d+)/m.exec(readFileSync(full, 'utf8'));
      if (match) return { total: Number(match[1]), compile: await compileInstructions(full) };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('callgrind wrote no dump within 60 s');
}

const template = JSON.stringify(supplyRequest({ order: '__ORDER__' }));
let sequence = 0;
const tag = `${process.pid}-${Date.now()}`;
const authorization = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;

/** Sends n creates, `connections` in flight, and checks every answer is a 201. */
async function send(pool: Pool, n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const id = ++sequence;
      const response = await sendOnce(pool, id);
      const text = await response.body.text();
      if (response.statusCode !== 201) throw new Error(`${response.statusCode}: ${text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
}

/**
 * One create. A kept-alive connection the server closed while idle (its keepAliveTimeout runs in
 * real time while valgrind slows everything, and the client waits through dumps) resets the next
 * request on it before the server read it: that request is sent again on a new connection.
 */
async function sendOnce(pool: Pool, id: number, attempt = 1): Promise<Dispatcher.ResponseData> {
  try {
    return await pool.request({
      method: 'POST',
      path: '/fhir/SupplyRequest',
      headers: {
        'content-type': 'application/fhir+json',
        authorization,
        ...(viaOpenHim ? { 'x-openhim-transactionid': `tx-${id}` } : {}),
      },
      body: template.replace('__ORDER__', `I-${tag}-${id}`),
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (attempt < 3 && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) return sendOnce(pool, id, attempt + 1);
    throw err;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

interface Measured extends Instrumented {
  run: Run;
  pool: Pool;
}

/** Started, warmed (BENCH_WARMUP_REQUESTS), instrumentation on and settled. */
async function ready(run: Run): Promise<Measured> {
  const server = await startUnderCallgrind(run);
  const pool = new Pool(server.url, { connections });
  await send(pool, warmupRequests);
  await control(server, '-i', 'on');
  await send(pool, 50);
  return { ...server, run, pool };
}

/** Per request: every instruction, and every one but V8's compiling (COMPILE_ENTRIES). */
interface PerRequest {
  all: number;
  own: number;
}

/** One repeat on one server: the instructions of N2 − N1 requests, per request. */
async function window(server: Measured): Promise<PerRequest> {
  const counts: Counts[] = [];
  for (const n of [N1, N2]) {
    await collect(server);
    await control(server, '-z');
    await send(server.pool, n);
    counts.push(await dumpInstructions(server));
  }
  const [c1, c2] = counts;
  const all = (c2.total - c1.total) / (N2 - N1);
  const own = (c2.total - c2.compile - (c1.total - c1.compile)) / (N2 - N1);
  console.log(
    `${server.run.label.padEnd(13)} I(${N1}) ${c1.total}  I(${N2}) ${c2.total}  → ${fmt(all)}/req` +
      `   without compiling (${c1.compile}, ${c2.compile}) → ${fmt(own)}/req`,
  );
  return { all, own };
}

async function stop(server: Measured): Promise<void> {
  await server.pool.close();
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  if (keepDumps) console.log(`${server.run.label}: callgrind dumps kept in ${server.outDir}`);
  else rmSync(server.outDir, { recursive: true, force: true });
}

/** Every run's per-request instructions, repeat by repeat, the servers taking turns. */
async function measureAll(): Promise<Map<string, PerRequest[]>> {
  const servers: Measured[] = [];
  try {
    for (const run of RUNS) servers.push(await ready(run));
    const results = new Map<string, PerRequest[]>(RUNS.map((r) => [r.label, []]));
    for (let r = 0; r < repeats; r++) {
      for (const server of r % 2 ? [...servers].reverse() : servers)
        results.get(server.run.label)!.push(await window(server));
    }
    return results;
  } finally {
    for (const server of servers) await stop(server);
    for (const compiled of sideScripts.values()) (await compiled).remove();
    if (upstream) (await upstream).child.disconnect();
  }
}

const fmt = (n: number) => `${(n / 1000).toFixed(0)}k instr`;

/** The median, min and max of xs, and the median's ratio to `to` (bare's median) when given. */
function line(label: string, what: string, xs: number[], to?: number[]): string {
  return (
    `${label.padEnd(13)} ${what.padEnd(18)} ${fmt(median(xs))} per request (${fmt(Math.min(...xs))} - ${fmt(Math.max(...xs))})` +
    (to ? `   bare / ${label} ${(median(to) / median(xs)).toFixed(3)}×` : '')
  );
}

/** own ÷ base, repeat by repeat, and their median. */
function paired(side: string, what: string, own: number[], base: number[]): number {
  const ratios = own.map((x, i) => x / base[i]);
  console.log(
    `${side} ÷ base ${side} ${what}, repeat by repeat: ${ratios.map((q) => q.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)}`,
  );
  return Number(median(ratios).toFixed(4));
}

async function main() {
  const results = await measureAll();
  const pick = (label: string, key: keyof PerRequest) => results.get(label)?.map((r) => r[key]);
  console.log(
    `\n${N1} and ${N2} requests, ${repeats} repeats, ${connections} in flight, OpenHIM header ${viaOpenHim}, ` +
      `sides ${runsThroughTsx ? 'through tsx' : 'compiled'}`,
  );
  for (const key of ['all', 'own'] as const) {
    const bare = pick('bare', key);
    const what = key === 'all' ? 'all' : 'without compiling';
    for (const { label, side } of RUNS)
      console.log(line(label, what, pick(label, key)!, side === 'bare' || label !== side ? undefined : bare));
  }
  const summary: Record<string, unknown> = {
    bench: 'instructions',
    N1,
    N2,
    connections,
    viaOpenHim,
    compiled: !runsThroughTsx,
  };
  for (const { label } of RUNS) {
    summary[label] = Math.round(median(pick(label, 'all')!));
    summary[`${label} without compiling`] = Math.round(median(pick(label, 'own')!));
  }
  if (BASE_DIR) {
    for (const side of SIDES) {
      summary[`${side}/base`] = paired(side, 'all', pick(side, 'all')!, pick(`base ${side}`, 'all')!);
      summary[`${side}/base without compiling`] = paired(
        side,
        'without compiling',
        pick(side, 'own')!,
        pick(`base ${side}`, 'own')!,
      );
    }
  }
  console.log(JSON.stringify(summary));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
