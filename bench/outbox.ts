/**
 * npm run bench:outbox — the price of durability, measured side by side. The same one-step
 * writes go
 *   direct:  straight to a no-op upstream (a plain HTTP POST with the handler's own client, fetch),
 *   outbox:  through acceptWrite (recorded durably, delivered at once, the step journaled, the end
 *            recorded) on SQLite (WAL, group commit, each batch's WAL fsync off the event loop
 *            before anyone is answered) and on PostgreSQL (statements batched per turn; the
 *            server from BENCH_DATABASE_URL, else a throw-away one with fsync on, started with
 *            scripts/pg-test-server.sh when the binaries exist).
 * The upstream runs in its own process. Every side is warmed the same (BENCH_WARMUP writes), then
 * the sides run interleaved for BENCH_ROUNDS rounds (the order rotates each round), and each
 * round's outbox throughput is divided by the same round's direct throughput: min / median / max
 * of that ratio per engine, and beside it the same ratio by CPU per write (direct's over the
 * side's: this process's CPU, plus the PostgreSQL server's processes for that side when this
 * bench started the server), which a busy machine disturbs less. Also per engine: store round
 * trips per accepted write (PostgreSQL: every query the pg client sent, worker polls included)
 * and commits per write (SQLite).
 * BENCH_WRITES (per side and round, default 2000), BENCH_CONCURRENCY (32), BENCH_ROUNDS (3).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { faultyUpstreamHandlers } from '../sandbox/faulty-upstream/handlers.js';
import { Outbox } from '../src/outbox/outbox.js';
import { openStore, type Store } from '../src/store/index.js';
import type { SqliteStore } from '../src/store/sqlite.js';
import { runTimed } from './latency.js';

const WRITES = Number(process.env.BENCH_WRITES ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Round {
  perSecond: number;
  p50: number;
  p99: number;
  /** Store round trips (PostgreSQL queries) or commits (SQLite) per accepted write, when counted. */
  perWrite?: number;
  /** CPU µs per accepted write: this process, plus the PostgreSQL server's processes for that side. */
  cpuUs: number;
}

interface Side {
  name: string;
  /** One write; true when it was accepted. */
  write(i: number): Promise<boolean>;
  /** A counter read before and after a round (queries sent, commits made). */
  counter?: () => number;
  /** CPU µs spent outside this process on this side's behalf (the PostgreSQL server), cumulative. */
  externalCpuUs?: () => number;
  rounds: Round[];
  close(): Promise<void>;
}

/** PostgreSQL queries sent by this process: every pg client query, pooled or not. */
let pgQueries = 0;
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  pgQueries += 1;
  return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof clientQuery;

let nextKey = 0;

/** `count` writes with CONCURRENCY closed-loop clients. */
async function run(side: Side, count: number): Promise<Round> {
  let accepted = 0;
  const before = side.counter?.();
  const cpuBefore = process.cpuUsage();
  const externalBefore = side.externalCpuUs?.() ?? 0;
  const t = await runTimed(count, CONCURRENCY, async () => {
    if (await side.write(nextKey++)) accepted += 1;
  });
  const cpu = process.cpuUsage(cpuBefore);
  const external = (side.externalCpuUs?.() ?? 0) - externalBefore;
  const counted = side.counter && before !== undefined ? (side.counter() - before) / Math.max(1, accepted) : undefined;
  const cpuUs = (cpu.user + cpu.system + external) / Math.max(1, accepted);
  return { perSecond: accepted / t.seconds, p50: t.p50Ms, p99: t.p99Ms, perWrite: counted, cpuUs };
}

/**
 * CPU µs used so far by a PostgreSQL server's processes (the postmaster and its children), from
 * /proc; undefined when that cannot be read (another machine's server, no /proc).
 */
function postgresCpuUs(dataDir: string): (() => number) | undefined {
  let postmaster: number;
  try {
    postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  const hz = 100; // USER_HZ on Linux
  return () => {
    let ticks = 0;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      // fields after the command name (which may hold spaces): state ppid … utime(14) stime(15)
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) === postmaster || Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    }
    return (ticks / hz) * 1e6;
  };
}

function directSide(upstreamUrl: string): Side {
  return {
    name: 'direct',
    rounds: [],
    async write(i) {
      const res = await fetch(new URL('/writes', upstreamUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: `direct-${i}`, payload: { qty: i } }),
      });
      await res.arrayBuffer();
      return res.status === 201;
    },
    close: async () => undefined,
  };
}

function outboxSide(
  name: string,
  store: Store,
  upstreamUrl: string,
  counter?: () => number,
  externalCpuUs?: () => number,
): Side {
  const outbox = new Outbox({ store, options: { concurrency: { default: CONCURRENCY } } });
  outbox.register('write', 'noop', faultyUpstreamHandlers(upstreamUrl, 'noop').write);
  outbox.startWorker();
  return {
    name,
    rounds: [],
    counter,
    externalCpuUs,
    async write(i) {
      const o = await outbox.acceptWrite({
        flow: 'write',
        system: 'noop',
        idempotencyKey: `${name}-${i}`,
        payload: { data: { qty: i } },
      });
      return o.kind === 'done';
    },
    async close() {
      await outbox.stop();
      await store.close();
    },
  };
}

/** The upstream in a process of its own. */
async function startUpstream(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/upstream-process.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /UPSTREAM (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`upstream exited with ${code}`)));
  });
  return { url, child };
}

async function postgresUrl(): Promise<
  { url: string; cleanup: () => Promise<void>; serverCpuUs?: () => number } | undefined
> {
  let base = process.env.BENCH_DATABASE_URL;
  let stop: (() => void) | undefined;
  let serverCpuUs: (() => number) | undefined;
  if (!base) {
    try {
      // not PG_TEST_FAST: a benchmark of durable writes needs fsync on
      const out = execFileSync(path.join(ROOT, 'scripts/pg-test-server.sh'), ['start'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, PG_TEST_FAST: '0' },
      });
      base = /TEST_DATABASE_URL=(\S+)/.exec(out)?.[1];
      const dir = /PG_TEST_DIR=(\S+)/.exec(out)?.[1];
      serverCpuUs = dir ? postgresCpuUs(path.join(dir, 'data')) : undefined;
      stop = () => execFileSync(path.join(ROOT, 'scripts/pg-test-server.sh'), ['stop', dir!], { stdio: 'ignore' });
    } catch {
      return undefined;
    }
  }
  if (!base) return undefined;
  const name = `outbox_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const settings = await admin.query(
    "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit') ORDER BY name",
  );
  process.stdout.write(
    `PostgreSQL: ${settings.rows.map((r: { name: string; setting: string }) => `${r.name}=${r.setting}`).join(', ')}\n`,
  );
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    serverCpuUs,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      stop?.();
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const upstream = await startUpstream();
const loadBefore = load();
const direct = directSide(upstream.url);
const sides: Side[] = [direct];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-bench-'));
const sqlite = (await openStore({ databaseUrl: `sqlite:${path.join(dir, 'bench.db')}` })) as SqliteStore;
// commitStats is absent from stores before group commit (this bench also runs against older trees)
const commits = typeof sqlite.commitStats === 'function' ? () => sqlite.commitStats().commits : undefined;
sides.push(outboxSide('outbox, SQLite', sqlite, upstream.url, commits));
const pgTarget = await postgresUrl();
if (pgTarget) {
  // the production pool (10 connections): batched statements need few, whatever the clients
  const store = await openStore({ databaseUrl: pgTarget.url });
  sides.push(outboxSide('outbox, PostgreSQL', store, upstream.url, () => pgQueries, pgTarget.serverCpuUs));
  if (!pgTarget.serverCpuUs)
    process.stdout.write('PostgreSQL: server CPU not counted (not a server this bench started)\n');
} else {
  process.stdout.write('PostgreSQL: skipped (no BENCH_DATABASE_URL and no server binaries to start one)\n');
}

try {
  for (const side of sides) await run(side, WARMUP); // JIT, pools, prepared statements, caches
  for (let r = 0; r < ROUNDS; r++) {
    // rotate the order each round so no side always runs first (or after the same neighbour)
    const order = sides.map((_, i) => sides[(i + r) % sides.length]);
    for (const side of order) side.rounds.push(await run(side, WRITES));
  }
} finally {
  for (const side of sides) await side.close();
  await pgTarget?.cleanup();
  upstream.child.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}

process.stdout.write(
  `\n${WRITES} writes per side and round, ${ROUNDS} rounds interleaved, ${WARMUP} warm-up writes each, ` +
    `${CONCURRENCY} concurrent clients, ${os.cpus().length} CPUs, Node ${process.version}\n` +
    `load average before: ${loadBefore}; after: ${load()}\n\n`,
);
process.stdout.write(
  `${'path'.padEnd(20)} ${'writes/s (median)'.padStart(17)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}  ratio to direct min / median / max  [by CPU per write]  per write\n`,
);
for (const side of sides) {
  const ratios = side.rounds.map((r, i) => r.perSecond / direct.rounds[i].perSecond).sort((a, b) => a - b);
  const spread = [ratios[0], median(ratios), ratios[ratios.length - 1]];
  // the same ratio by CPU: direct's CPU per write over this side's (steadier on a busy machine)
  const cpuRatios = side.rounds.map((r, i) => direct.rounds[i].cpuUs / r.cpuUs).sort((a, b) => a - b);
  const cpuSpread = [cpuRatios[0], median(cpuRatios), cpuRatios[cpuRatios.length - 1]];
  const cpuUs = median(side.rounds.map((r) => r.cpuUs));
  const perWrite = side.rounds.map((r) => r.perWrite).filter((x): x is number => x !== undefined);
  const unit = side === direct ? '' : side.name.includes('SQLite') ? 'commits' : 'queries';
  process.stdout.write(
    `${side.name.padEnd(20)} ${median(side.rounds.map((r) => r.perSecond))
      .toFixed(0)
      .padStart(17)} ${median(side.rounds.map((r) => r.p50))
      .toFixed(2)
      .padStart(7)} ${median(side.rounds.map((r) => r.p99))
      .toFixed(2)
      .padStart(7)}  ${spread
      .map((x) => x.toFixed(2))
      .join(' / ')
      .padStart(34)}  [${cpuSpread.map((x) => x.toFixed(2)).join(' / ')}]  ${
      perWrite.length ? `${median(perWrite).toFixed(2)} ${unit}, ` : ''
    }${cpuUs.toFixed(0)} µs CPU\n`,
  );
}
