/**
 * npx tsx bench/openlmis-instructions.ts — the mediator's instructions per OpenLMIS order (issue 18's
 * OpenLMIS row), counted by callgrind, which the machine's load does not distort the way it does
 * bench:openlmis's orders/s and CPU ms.
 *
 * The mediator runs as production runs it: `cli serve` compiled by tsc (bench/http/compiled.ts),
 * pino at info (its lines written to /dev/null), the SQLite outbox, prom-client's default metrics,
 * and every order carries the OpenHIM transaction header (BENCH_OPENHIM=0: without), so the
 * envelope plugin answers. It runs under `valgrind --tool=callgrind --instr-atstart=no`; the
 * OpenLMIS sandbox (bench/openlmis-sandbox.ts) and this load generator run outside valgrind, in
 * their own processes. An order is bench:openlmis's: a transaction Bundle of three SupplyRequest
 * lines at a health post of its own, BENCH_CONCURRENCY (8) in flight.
 *   1. warm-up: BENCH_WARMUP (1000) orders uninstrumented, so V8 has tiered up the order's code;
 *   2. instrumentation on, 20 orders to settle the translations;
 *   3. BENCH_REPEATS (3) times: for N in [N1, N2] (BENCH_N1=40, BENCH_N2=200): a minor GC (the
 *      mediator runs with --expose-gc and a message hook, below), counters zeroed, N orders, dump;
 *      per order = (I(N2) − I(N1)) / (N2 − N1), also without V8's compile work (COMPILE_ENTRIES
 *      of bench/instructions.ts, taken off each dump), as bench/instructions.ts does.
 * BENCH_BASE_DIR=tree (a `git archive` of the tree before a change, node_modules linked) runs
 * that tree's mediator beside this one against the same sandbox: both warmed first, then each
 * repeat takes its two windows on both (order reversed on odd repeats) and `tree ÷ base` is
 * printed repeat by repeat with its median.
 * BENCH_KEEP_DUMPS=1 keeps the dumps; with BENCH_NODE_FLAGS='--perf-basic-prof' (added to the
 * flags below), `CALLGRIND_INCLUSIVE=1 npx tsx bench/callgrind-functions.ts cg.out.K cg.out.K+1
 * (N2−N1) /tmp/perf-PID.map` splits an order by function with what each calls.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { orderLine, transactionOf } from '../test/support/openlmis-e2e.js';
import { compileInstructions } from './callgrind-compile.js';
import { compileSides, type SideScript } from './http/compiled.js';
import { BENCH_PASSWORD, freePort, json, startSandbox, stopProcess } from './openlmis-processes.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
const SETTLE = 20;
const N1 = Number(process.env.BENCH_N1 ?? 40);
const N2 = Number(process.env.BENCH_N2 ?? 200);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const viaOpenHim = process.env.BENCH_OPENHIM !== '0';
const keepDumps = process.env.BENCH_KEEP_DUMPS === '1';
const PRODUCTS = ['EM-AMX250', 'EM-ORS', 'EM-ZNC20'];
const BASE_DIR = process.env.BENCH_BASE_DIR ? path.resolve(process.env.BENCH_BASE_DIR) : undefined;
const ownDir = path.resolve(here, '..');
const MEDIATOR_HOST = '127.0.0.1';
const ORDERS_PER_TREE = WARMUP + SETTLE + REPEATS * (N1 + N2);

/**
 * As bench/instructions.ts: GC and compiling on the main thread, no idle-time memory reducer,
 * and a hook that answers `{gc: 'minor'}` on the IPC channel with a scavenge, so each window
 * starts from an empty young generation (`cli serve` has no such hook of its own).
 */
const GC_HOOK =
  "data:text/javascript,process.on('message',m=>{if(m&&m.gc){globalThis.gc({type:'minor'});process.send({gc:'done'})}})";
const nodeFlags = [
  '--expose-gc',
  '--single-threaded',
  '--no-memory-reducer',
  `--import=${GC_HOOK}`,
  ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
];

interface Mediator {
  label: string;
  child: ChildProcess;
  pool: Pool;
  outDir: string;
  facilities: string[];
  next: number;
  tag: string;
}

/** `cli serve` of a compiled tree under callgrind, instrumentation off, once /health answers. */
async function startMediator(
  label: string,
  script: SideScript,
  tree: string,
  sandboxUrl: string,
  index: number,
): Promise<Mediator> {
  // BENCH_PORT=p: the mediators listen on p, p+1 (a port range of one's own on a shared host)
  const port = process.env.BENCH_PORT ? Number(process.env.BENCH_PORT) + index : await freePort();
  const outDir = mkdtempSync(path.join(tmpdir(), 'callgrind-openlmis-'));
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all-non-file',
      '--instr-atstart=no',
      // vgdb's pipes (in outDir) end in the user and $HOST: callgrind_control is given the mediator's HOST
      `--vgdb-prefix=${path.join(outDir, 'vgdb')}`,
      `--callgrind-out-file=${path.join(outDir, 'cg.out')}`,
      process.execPath,
      ...nodeFlags,
      ...script.execArgv,
      script.script,
      'serve',
    ],
    {
      cwd: tree,
      // BENCH_MEDIATOR_STDOUT=file keeps its log lines (otherwise written to /dev/null, as a deployment writes them unread)
      stdio: [
        'ignore',
        process.env.BENCH_MEDIATOR_STDOUT ? openSync(`${process.env.BENCH_MEDIATOR_STDOUT}.${label}`, 'w') : 'ignore',
        'pipe',
        'ipc',
      ],
      env: {
        ...process.env,
        HOST: MEDIATOR_HOST,
        PORT: String(port),
        DATA_DIR: path.join(outDir, 'data'),
        LOG_LEVEL: 'info',
        AUTH_PASSWORD: BENCH_PASSWORD,
        DATABASE_URL: '',
        OPENLMIS_BASE_URL: sandboxUrl,
        OPENLMIS_USERNAME: 'mediator',
        OPENLMIS_PASSWORD: 'password',
        OPENLMIS_CLIENT_SECRET: 'changeme',
        // valgrind runs ~50× slower: no order may answer 202 or be retried because a timer ran out
        OUTBOX_DEADLINE_MS: '600000',
        OUTBOX_ATTEMPT_TIMEOUT_MS: '600000',
        OUTBOX_LEASE_MS: '1200000',
        OPENLMIS_TIMEOUT_MS: '600000',
      },
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; waited < 300_000; waited += 500) {
    if (child.exitCode !== null) throw new Error(`${label} exited (${child.exitCode}):\n${stderr}`);
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up)
      return {
        label,
        child,
        pool: new Pool(url, { connections: CONCURRENCY }),
        outDir,
        facilities: [],
        next: 0,
        tag: label,
      };
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${label} did not answer /health within 300 s:\n${stderr}`);
}

const authorization = `Basic ${Buffer.from(`openhim:${BENCH_PASSWORD}`).toString('base64')}`;

/** One order (three lines) at the mediator's next health post; throws unless its first entry is 201. */
async function order(m: Mediator, ids: Record<string, string>): Promise<void> {
  const n = m.next++;
  const facility = m.facilities[n];
  const bundle = transactionOf(
    PRODUCTS.map((productCode) =>
      orderLine({ order: `BI-${m.tag}-${n}`, facilityId: ids[facility], program: 'EM01', productCode, qty: 200 }),
    ),
  );
  const res = await m.pool.request({
    method: 'POST',
    path: '/fhir',
    headers: {
      authorization,
      'content-type': 'application/fhir+json',
      ...(viaOpenHim ? { 'x-openhim-transactionid': `tx-${m.tag}-${n}` } : {}),
    },
    body: JSON.stringify(bundle),
  });
  const text = await res.body.text();
  const answer = JSON.parse(text);
  // through OpenHIM the Bundle is the envelope's response body
  const body = answer['x-mediator-urn'] ? JSON.parse(answer.response.body) : answer;
  const status = String(body.entry?.[0]?.response?.status);
  if (res.statusCode !== 200 || !status.startsWith('201'))
    throw new Error(`${m.label} order ${n}: ${res.statusCode} ${text.slice(0, 300)}`);
}

async function orders(m: Mediator, ids: Record<string, string>, n: number): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) await order(m, ids);
    }),
  );
}

async function control(m: Mediator, ...args: string[]): Promise<void> {
  await run('callgrind_control', [`--vgdb-prefix=${path.join(m.outDir, 'vgdb')}`, ...args, String(m.child.pid)], {
    env: { ...process.env, HOST: MEDIATOR_HOST },
  });
}

function collect(m: Mediator): Promise<void> {
  return new Promise((resolve) => {
    m.child.once('message', () => resolve());
    m.child.send({ gc: 'minor' });
  });
}

/** Dumps the counters; the new dump's instruction total and compile share. */
async function dump(m: Mediator): Promise<{ total: number; compile: number; file: string }> {
  const before = new Set(readdirSync(m.outDir));
  await control(m, '-d');
  for (let waited = 0; waited < 120_000; waited += 100) {
    for (const file of readdirSync(m.outDir).filter((f) => f.startsWith('cg.out') && !before.has(f))) {
      const full = path.join(m.outDir, file);
      const match = /^summary: (\d+)/m.exec(readFileSync(full, 'utf8'));
      if (match) return { total: Number(match[1]), compile: await compileInstructions(full), file };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('callgrind wrote no dump within 120 s');
}

interface PerOrder {
  all: number;
  own: number;
}

async function window(m: Mediator, ids: Record<string, string>): Promise<PerOrder> {
  const counts = [];
  for (const n of [N1, N2]) {
    await collect(m);
    await control(m, '-z');
    await orders(m, ids, n);
    counts.push(await dump(m));
  }
  const [c1, c2] = counts;
  const all = (c2.total - c1.total) / (N2 - N1);
  const own = (c2.total - c2.compile - (c1.total - c1.compile)) / (N2 - N1);
  console.log(
    `${m.label.padEnd(5)} I(${N1}) ${c1.total}  I(${N2}) ${c2.total}  → ${fmt(all)}/order` +
      `   without compiling (${c1.compile}, ${c2.compile}) → ${fmt(own)}/order   dumps ${c1.file} ${c2.file}`,
  );
  return { all, own };
}

const fmt = (n: number) => `${(n / 1000).toFixed(0)}k instr`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function stop(m: Mediator): Promise<void> {
  await m.pool.close();
  m.child.disconnect();
  await stopProcess(m.child);
  if (keepDumps) console.log(`${m.label}: callgrind dumps kept in ${m.outDir} (pid ${m.child.pid})`);
  else rmSync(m.outDir, { recursive: true, force: true });
}

async function main() {
  const trees: [string, string][] = [['tree', ownDir], ...(BASE_DIR ? [['base', BASE_DIR] as [string, string]] : [])];
  const scripts = await Promise.all(trees.map(([, dir]) => compileSides(dir, 'src/cli/index.ts')));
  const sandbox = await startSandbox(trees.length * ORDERS_PER_TREE + 10);
  const mediators: Mediator[] = [];
  try {
    const seed = await json(await fetch(`${sandbox.url}/_sandbox/seed`));
    const ids = seed.facilities as Record<string, string>;
    for (const [i, [label, dir]] of trees.entries()) {
      const m = await startMediator(label, scripts[i], dir, sandbox.url, i);
      m.facilities = Array.from({ length: ORDERS_PER_TREE }, (_, k) => `LK-HP-${401 + i * ORDERS_PER_TREE + k}`);
      m.tag = `${label}-${process.pid}`;
      mediators.push(m);
    }
    for (const m of mediators) {
      await orders(m, ids, WARMUP);
      console.error(`${m.label}: ${WARMUP} warm-up orders done`);
      await control(m, '-i', 'on');
      await orders(m, ids, SETTLE);
      console.error(`${m.label}: instrumented, ${SETTLE} orders to settle done`);
    }
    const results = new Map<string, PerOrder[]>(mediators.map((m) => [m.label, []]));
    for (let r = 0; r < REPEATS; r++)
      for (const m of r % 2 ? [...mediators].reverse() : mediators) results.get(m.label)!.push(await window(m, ids));
    const calls = (await json(await fetch(`${sandbox.url}/_sandbox/requests?from=1000000000`))).count;
    console.log(
      `\n${N1} and ${N2} orders per window, ${REPEATS} repeats, warm-up ${WARMUP}, ${CONCURRENCY} in flight, ` +
        `OpenHIM header ${viaOpenHim}; sandbox calls per order (logins included) ${(calls / (trees.length * ORDERS_PER_TREE)).toFixed(2)}`,
    );
    const summary: Record<string, unknown> = { bench: 'openlmis-instructions', N1, N2, WARMUP, viaOpenHim };
    for (const key of ['all', 'own'] as const) {
      for (const m of mediators) {
        const xs = results.get(m.label)!.map((x) => x[key]);
        console.log(
          `${m.label.padEnd(5)} ${key === 'all' ? 'all' : 'without compiling'}: ${fmt(median(xs))} per order (${fmt(Math.min(...xs))} - ${fmt(Math.max(...xs))})`,
        );
        summary[`${m.label} ${key}`] = Math.round(median(xs));
      }
      if (BASE_DIR) {
        const own = results.get('tree')!.map((x) => x[key]);
        const ratios = results.get('base')!.map((x, i) => own[i] / x[key]);
        console.log(
          `tree ÷ base ${key}, repeat by repeat: ${ratios.map((q) => q.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)}`,
        );
        summary[`tree/base ${key}`] = Number(median(ratios).toFixed(4));
      }
    }
    console.log(JSON.stringify(summary));
  } finally {
    for (const m of mediators) await stop(m);
    for (const s of scripts) s.remove();
    await stopProcess(sandbox.proc);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
