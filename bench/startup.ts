/**
 * npm run bench:startup — the compiled production path's start-up: time from spawning
 * `node dist/src/cli/index.js serve` (the Dockerfile's CMD) to the first /health 200, and the
 * process's resident memory once idle, side by side with
 *   - a baseline: node starting a bare Fastify server with a /health route (the floor any
 *     Node HTTP service pays: the runtime, Fastify, a listening socket), and
 *   - the same CLI run through tsx from src/ (what `npm start` used to do).
 * The sides run interleaved (baseline, compiled, tsx, baseline, …) for BENCH_ROUNDS (5) rounds,
 * each start a fresh process with an empty data directory; medians and min/max are printed, and
 * the compiled side's ratio to the baseline. RSS is VmRSS from /proc twice: 2 s after /health
 * (start-up's transient heap still held) and after BENCH_IDLE_MS (10000) of idle, the figure the
 * issue's "idle RSS" target is judged on: the mediator gives start-up's young generation back
 * ~7 s after it listens (src/cli/start-up-memory.ts), as a long-running idle process has.
 * Builds dist/ first (npm run build) when it is missing or BENCH_BUILD=1; BENCH_DIST=dir starts
 * another build laid out like the image (dir/src/cli/index.js with package.json above it).
 * BENCH_BASE_DIST=dir adds a side `before` (another build, e.g. the tree before a change) to the
 * same interleaved rounds and prints compiled ÷ before. BENCH_SYSTEM=openlmis (or msupply, dhis2,
 * openmrs) configures that system (a base URL nobody answers: start-up makes no upstream call),
 * so its connector and undici load as in a real deployment; by default no system is configured.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/net.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const idleMs = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const EARLY_MS = 2000;
const withTsx = process.env.BENCH_TSX !== '0';
/** The compiled output to start: dist/ by default; another build's (laid out like the image) by BENCH_DIST. */
const DIST = path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'));
const BASE_DIST = process.env.BENCH_BASE_DIST ? path.resolve(process.env.BENCH_BASE_DIST) : undefined;
const SYSTEM = process.env.BENCH_SYSTEM;

/** A bare Fastify server with /health, as small as a Node HTTP service gets with our framework. */
const BARE = `
import Fastify from 'fastify';
const app = Fastify();
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

type Side = 'baseline' | 'compiled' | 'before' | 'tsx';
const COMMAND: Record<Side, string[]> = {
  baseline: ['--input-type=module', '-e', BARE],
  compiled: [path.join(DIST, 'src/cli/index.js'), 'serve'],
  before: [path.join(BASE_DIST ?? DIST, 'src/cli/index.js'), 'serve'],
  tsx: ['--import', 'tsx', path.join(ROOT, 'src/cli/index.ts'), 'serve'],
};

/** The settings that turn BENCH_SYSTEM on (port 9, discard: nothing is called before /health). */
function systemEnv(): Record<string, string> {
  if (!SYSTEM) return {};
  const prefix = SYSTEM.toUpperCase();
  return {
    [`${prefix}_BASE_URL`]: 'http://127.0.0.1:9',
    [`${prefix}_USERNAME`]: 'bench',
    [`${prefix}_PASSWORD`]: 'startup-bench-upstream',
    ...(SYSTEM === 'dhis2' ? { DHIS2_API_TOKEN: 'd2pat_startupbench' } : {}),
  };
}

interface Start {
  ms: number;
  /** CPU time the process used to get there (user + system): far steadier than wall time on a busy machine. */
  cpuMs: number;
  /** RSS 2 s after /health answered. */
  earlyRssMB: number;
  /** RSS after idleMs. */
  rssMB: number;
}

/** utime + stime of a process from /proc (clock ticks of 10 ms on Linux). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** One start: spawn, poll /health every 5 ms, wait idle, read RSS, stop with SIGTERM. */
async function startOnce(side: Side): Promise<Start> {
  const port = await freePort();
  const data = mkdtempSync(path.join(tmpdir(), 'bench-startup-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, COMMAND[side], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: data,
      AUTH_PASSWORD: 'startup-bench-secret',
      LOG_LEVEL: 'warn',
      ...(side === 'baseline' ? {} : systemEnv()),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const url = `http://127.0.0.1:${port}/health`;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${side} exited with ${child.exitCode} before /health answered`);
      if (await healthy(url)) break;
      if (performance.now() - t0 > 60_000) throw new Error(`${side}: no /health 200 within 60 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = performance.now() - t0;
    const cpu = cpuMs(child.pid!);
    await new Promise((r) => setTimeout(r, EARLY_MS));
    const early = rssMB(child.pid!);
    await new Promise((r) => setTimeout(r, Math.max(0, idleMs - EARLY_MS)));
    return { ms, cpuMs: cpu, earlyRssMB: early, rssMB: rssMB(child.pid!) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(data, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const spread = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

async function main() {
  if (
    process.env.BENCH_BUILD === '1' ||
    (!process.env.BENCH_DIST && !existsSync(path.join(DIST, 'src/cli/index.js')))
  ) {
    console.log('building dist/ (npm run build) …');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const sides: Side[] = [
    'baseline',
    'compiled',
    ...(BASE_DIST ? (['before'] as const) : []),
    ...(withTsx ? (['tsx'] as const) : []),
  ];
  const results: Record<Side, Start[]> = { baseline: [], compiled: [], before: [], tsx: [] };
  if (SYSTEM) console.log(`${SYSTEM} configured on every mediator side`);
  await startOnce('compiled'); // the first start after a build pays for cold file caches; not counted
  if (BASE_DIST) await startOnce('before');
  for (let round = 1; round <= rounds; round++) {
    for (const side of sides) {
      const s = await startOnce(side);
      results[side].push(s);
      console.log(
        `round ${round} ${side.padEnd(8)} ${s.ms.toFixed(0).padStart(5)} ms to /health 200 (${s.cpuMs} ms CPU), RSS ${s.earlyRssMB} MB at 2 s, ${s.rssMB} MB idle`,
      );
    }
  }
  console.log(`\n${rounds} rounds; RSS 2 s after /health and after ${idleMs} ms idle`);
  for (const side of sides) {
    const ms = results[side].map((s) => s.ms);
    const cpu = results[side].map((s) => s.cpuMs);
    const early = results[side].map((s) => s.earlyRssMB);
    const rss = results[side].map((s) => s.rssMB);
    console.log(
      `${side.padEnd(8)} to /health: ms ${spread(ms)}   CPU ms ${spread(cpu)}   ` +
        `RSS MB at 2 s ${spread(early)}, idle ${spread(rss)}`,
    );
  }
  const compiledMs = median(results.compiled.map((s) => s.ms));
  const compiledRss = median(results.compiled.map((s) => s.rssMB));
  const compiledCpu = median(results.compiled.map((s) => s.cpuMs));
  const ratio = (xs: Start[], ys: Start[], f: (s: Start) => number) => median(xs.map((x, i) => f(x) / f(ys[i])));
  console.log(
    `compiled / baseline: ${ratio(results.compiled, results.baseline, (s) => s.ms).toFixed(2)}× time, ` +
      `${ratio(results.compiled, results.baseline, (s) => s.cpuMs).toFixed(2)}× CPU, ` +
      `${ratio(results.compiled, results.baseline, (s) => s.rssMB).toFixed(2)}× RSS` +
      (withTsx ? `; tsx / compiled: ${ratio(results.tsx, results.compiled, (s) => s.ms).toFixed(2)}× time` : ''),
  );
  if (BASE_DIST) {
    const each = (f: (s: Start) => number) => results.compiled.map((s, i) => f(s) / f(results.before[i]));
    const range = (xs: number[]) =>
      `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
    console.log(
      `compiled / before (${BASE_DIST}), per round: time ${range(each((s) => s.ms))}, ` +
        `CPU ${range(each((s) => s.cpuMs))}, idle RSS ${range(each((s) => s.rssMB))}`,
    );
  }
  console.log(
    `targets: ≤ 1000 ms (${compiledMs <= 1000 ? 'met' : 'NOT met'}: ${compiledMs.toFixed(0)} ms wall, ` +
      `${compiledCpu} ms CPU), ` +
      `≤ 110 MB (${compiledRss <= 110 ? 'met' : 'NOT met'}: ${compiledRss} MB)`,
  );
  console.log(JSON.stringify({ bench: 'startup', rounds, idleMs, results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
