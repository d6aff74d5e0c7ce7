/**
 * npm run bench:openlmis — OpenLMIS orders (3 lines each) through the mediator beside the same
 * orders placed directly by a careful hand-written client, measured as an outside engineer would
 * (issue 18):
 * - three processes: the OpenLMIS sandbox (bench/openlmis-sandbox.ts), the mediator in its
 *   production configuration (`cli serve`: pino at info, SQLite outbox with its fsyncs, the
 *   connector's real settings), and this load generator;
 * - the baseline makes the fewest calls an order needs: periodsForInitiate → initiate (with an
 *   Idempotency-Key) → PUT the lines → submit, with a token it keeps;
 * - both sides warmed the same (WARM orders each, in interleaved chunks of at most ORDERS), then
 *   run interleaved A B A B … for ROUNDS rounds, every order at a facility of its own; the ratio
 *   (mediator ÷ direct orders/s) is printed per round with its min / median / max. Why a long
 *   warm-up and 100 orders per round: the mediator's first 100 orders cost it about twice the CPU of the
 *   next hundred (one run, chunks of 100: 14.4, 7.6, 8.2, 7.5, 7.2, 7.0, 7.7, 6.1 ms per order;
 *   V8 is still compiling the edge, the outbox and the connector, five upstream exchanges per
 *   order), so with 10 warm-up orders round 1 measured a mediator still warming (9.75 ms against
 *   7.25 by round 4) while the direct client's four fetches were warm at once; and a round of 40
 *   orders lasts well under a second on the direct side, where one scheduling hiccup on a shared
 *   machine moved a round's ratio by ±20 %. The warm-up's CPU per order is printed by chunk, so a
 *   run shows whether its mediator had settled. It had not, at 200 (session 13, same build,
 *   load 9-11): by chunks of 100 from order 200 to 1,000 it still spent 6.1-9 ms per order and
 *   5.3-6.3 from 2,000 to 3,000; with --trace-opt V8 was still optimizing ~50 functions per 100
 *   orders for the first time after 1,500 orders (those that run a few times per order take
 *   thousands of orders to use up their tier-up budget), and perf put TurboFan's helper threads
 *   at 17-26 % of the mediator's CPU in rounds after 200 warm-up orders, 5 % after 2,000. A
 *   mediator in production runs for days, so the default is now 1,000 warm-up orders per side;
 *   the direct client's four fetches are warm long before that;
 * - the sandbox counts the calls each side made (its request log), and /proc gives the CPU time
 *   each process spent per order.
 * BENCH_ORDERS (per round and side, default 100), BENCH_ROUNDS (default 5), BENCH_CONCURRENCY
 * (default 8), BENCH_WARM (default 1000) tune it. Exits non-zero if the mediator needs more than 5
 * calls per order.
 * BENCH_BASE_DIST=dir adds a third side: a mediator from that build (the tree before a change),
 * run in the same rounds (direct, baseline, mediator), with its own ratio and CPU per order, and
 * the mediator's CPU per order ÷ the baseline's printed per round. BENCH_BASE_DATA_DIR=/dev/shm
 * with BENCH_BASE_DIST naming the same build as BENCH_DIST measures what the store's fsyncs cost
 * the mediator (the baseline's store on tmpfs, where an fsync costs nothing), interleaved.
 * Each mediator side's CPU per order is also given for its main thread alone: the rest is V8's
 * background compiler, GC helpers and the fsync threads (openlmis-processes.ts mainThreadCpuMs).
 * BENCH_NODE_FLAGS / BENCH_BASE_NODE_FLAGS, BENCH_MEDIATOR_STDOUT, BENCH_PROFILE_DIR and
 * BENCH_SANDBOX_PROFILE_DIR are for finding where the CPU goes (openlmis-processes.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { orderLine, transactionOf } from '../test/support/openlmis-e2e.js';
import { runTimed } from './latency.js';
import {
  BENCH_PASSWORD as PASSWORD,
  cpuMs,
  json,
  mainThreadCpuMs,
  startMediatorProcess,
  startSandbox,
  stopProcess,
} from './openlmis-processes.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WARM = Number(process.env.BENCH_WARM ?? 1000);
const PRODUCTS = ['EM-AMX250', 'EM-ORS', 'EM-ZNC20'];
const MAX_CALLS = 5;
const BASE_DIST = process.env.BENCH_BASE_DIST;

interface Side {
  name: string;
  pid: () => number | undefined;
  order: (facilityCode: string, n: number) => Promise<void>;
}

interface RoundResult {
  ordersPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  callsPerOrder: number;
  /** CPU ms per order of the process that answered the load generator (mediator, or none for direct). */
  cpuMsPerOrder?: number;
  /** The part of cpuMsPerOrder spent on its main thread (the rest: compiler, GC and fsync threads). */
  mainThreadCpuMsPerOrder?: number;
  sandboxCpuMsPerOrder: number;
}

/** The careful hand-written client: the four calls an order needs, one token kept. */
function directSide(
  sandboxUrl: string,
  ids: Record<string, string>,
  program: string,
): Side & { login(): Promise<void> } {
  let token = '';
  const call = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sandboxUrl}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    }).then(json);
  return {
    name: 'direct',
    pid: () => undefined,
    async login() {
      const basic = Buffer.from('user-client:changeme').toString('base64');
      const res = await fetch(`${sandboxUrl}/api/oauth/token?grant_type=password&username=mediator&password=password`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
      });
      token = (await json(res)).access_token;
    },
    async order(facilityCode) {
      const facility = ids[facilityCode];
      const [period] = await call(
        'GET',
        `/api/requisitions/periodsForInitiate?programId=${program}&facilityId=${facility}&emergency=false`,
      );
      const req = await call(
        'POST',
        `/api/requisitions/initiate?program=${program}&facility=${facility}&suggestedPeriod=${period.id}&emergency=false`,
        undefined,
        { 'Idempotency-Key': crypto.randomUUID() },
      );
      for (const line of req.requisitionLineItems) {
        if (PRODUCTS.includes(line.orderable.productCode)) {
          line.requestedQuantity = 200;
          line.requestedQuantityExplanation = 'bench';
        }
      }
      await call('PUT', `/api/requisitions/${req.id}`, req);
      await call('POST', `/api/requisitions/${req.id}/submit`);
    },
  };
}

function mediatorSide(url: string, ids: Record<string, string>, proc: ChildProcess, name = 'mediator'): Side {
  const auth = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;
  return {
    name,
    pid: () => proc.pid,
    async order(facilityCode, n) {
      const bundle = transactionOf(
        PRODUCTS.map((productCode) =>
          orderLine({ order: `BENCH-${n}`, facilityId: ids[facilityCode], program: 'EM01', productCode, qty: 200 }),
        ),
      );
      const body = await json(
        await fetch(`${url}/fhir`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/fhir+json' },
          body: JSON.stringify(bundle),
        }),
      );
      if (!String(body.entry[0].response.status).startsWith('201'))
        throw new Error(`order ${n}: ${body.entry[0].response.status}`);
    },
  };
}

async function requestCount(sandboxUrl: string): Promise<number> {
  return (await json(await fetch(`${sandboxUrl}/_sandbox/requests?from=1000000000`))).count;
}

async function round(side: Side, facilities: string[], sandbox: { url: string; proc: ChildProcess }, offset: number) {
  const calls0 = await requestCount(sandbox.url);
  const cpu0 = cpuMs(side.pid());
  const main0 = mainThreadCpuMs(side.pid());
  const sbCpu0 = cpuMs(sandbox.proc.pid);
  const t = await runTimed(facilities.length, CONCURRENCY, (i) => side.order(facilities[i], offset + i));
  const n = facilities.length;
  const result: RoundResult = {
    ordersPerSecond: Number((n / t.seconds).toFixed(1)),
    p50Ms: t.p50Ms,
    p99Ms: t.p99Ms,
    callsPerOrder: Number(((await requestCount(sandbox.url)) - calls0) / n),
    sandboxCpuMsPerOrder: Number(((cpuMs(sandbox.proc.pid) - sbCpu0) / n).toFixed(2)),
  };
  if (side.pid()) {
    result.cpuMsPerOrder = Number(((cpuMs(side.pid()) - cpu0) / n).toFixed(2));
    result.mainThreadCpuMsPerOrder = Number(((mainThreadCpuMs(side.pid()) - main0) / n).toFixed(2));
  }
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Pair {
  direct: RoundResult;
  mediator: RoundResult;
  ratio: number;
  baseline?: RoundResult;
  baselineRatio?: number;
  /** Mediator CPU per order ÷ the baseline build's, in the same round. */
  cpuVsBaseline?: number;
}

async function main() {
  const perSide = WARM + ROUNDS * ORDERS;
  const sides = BASE_DIST ? 3 : 2;
  const sandbox = await startSandbox(sides * perSide + 10);
  // BENCH_DATA_DIR=/dev/shm shows what the store's fsyncs cost (not a production setting);
  // BENCH_BASE_DATA_DIR puts only the baseline's store there, so with BENCH_BASE_DIST naming the
  // same build the two run interleaved and differ only in what an fsync costs
  const dir = mkdtempSync(path.join(process.env.BENCH_DATA_DIR ?? tmpdir(), 'bench-openlmis-'));
  const baseDir = process.env.BENCH_BASE_DATA_DIR
    ? mkdtempSync(path.join(process.env.BENCH_BASE_DATA_DIR, 'bench-openlmis-'))
    : dir;
  const procs: ChildProcess[] = [];
  const dataDir = (name: string, under = dir) => {
    mkdirSync(path.join(under, name));
    return path.join(under, name);
  };
  try {
    const seed = await json(await fetch(`${sandbox.url}/_sandbox/seed`));
    const ids = seed.facilities as Record<string, string>;
    const posts = Array.from({ length: sides * perSide }, (_, i) => `LK-HP-${400 + i + 1}`);
    const directPosts = posts.slice(0, perSide);
    const mediatorPosts = posts.slice(perSide, 2 * perSide);
    const basePosts = posts.slice(2 * perSide);
    const mediator = await startMediatorProcess(sandbox.url, dataDir('mediator'));
    procs.push(mediator.proc);
    const direct = directSide(sandbox.url, ids, seed.programs.EM01);
    await direct.login();
    const ours = mediatorSide(mediator.url, ids, mediator.proc);
    let base: Side | undefined;
    if (BASE_DIST) {
      const b = await startMediatorProcess(sandbox.url, dataDir('baseline', baseDir), BASE_DIST);
      procs.push(b.proc);
      base = mediatorSide(b.url, ids, b.proc, 'baseline');
    }

    // the same warm-up for every side (JIT, pools, the token, the mediator's reference data), in
    // interleaved chunks so the sandbox holds as many requisitions for each side's turn
    const warmCpu: Record<string, number[]> = { mediator: [], baseline: [] };
    for (let from = 0; from < WARM; from += ORDERS) {
      const to = Math.min(WARM, from + ORDERS);
      await round(direct, directPosts.slice(from, to), sandbox, from);
      if (base) warmCpu.baseline.push((await round(base, basePosts.slice(from, to), sandbox, from)).cpuMsPerOrder ?? 0);
      warmCpu.mediator.push((await round(ours, mediatorPosts.slice(from, to), sandbox, from)).cpuMsPerOrder ?? 0);
    }
    console.log(
      `warm-up, CPU ms per order by chunk of ${ORDERS}: mediator ${warmCpu.mediator.join(' ')}` +
        (base ? ` | baseline ${warmCpu.baseline.join(' ')}` : ''),
    );

    const pairs: Pair[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const from = WARM + r * ORDERS;
      const a = await round(direct, directPosts.slice(from, from + ORDERS), sandbox, from);
      // the baseline and the mediator swap places each round, so neither always runs right after direct
      const runBase = () => (base ? round(base, basePosts.slice(from, from + ORDERS), sandbox, from) : undefined);
      const runOurs = () => round(ours, mediatorPosts.slice(from, from + ORDERS), sandbox, from);
      let b: RoundResult;
      let c: RoundResult | undefined;
      if (r % 2 === 0) {
        c = await runBase();
        b = await runOurs();
      } else {
        b = await runOurs();
        c = await runBase();
      }
      const ratio = Number((b.ordersPerSecond / a.ordersPerSecond).toFixed(3));
      const pair: Pair = { direct: a, mediator: b, ratio };
      if (c) {
        pair.baseline = c;
        pair.baselineRatio = Number((c.ordersPerSecond / a.ordersPerSecond).toFixed(3));
        pair.cpuVsBaseline = Number(((b.cpuMsPerOrder ?? 0) / (c.cpuMsPerOrder || 1)).toFixed(3));
      }
      pairs.push(pair);
      console.log(
        `round ${r + 1}: direct ${a.ordersPerSecond} orders/s (p50 ${a.p50Ms} ms, ${a.callsPerOrder} calls/order)` +
          ` | mediator ${b.ordersPerSecond} orders/s (p50 ${b.p50Ms} ms, ${b.callsPerOrder} calls/order,` +
          ` ${b.cpuMsPerOrder} ms CPU/order, ${b.mainThreadCpuMsPerOrder} on its main thread) | ratio ${ratio}` +
          (c
            ? ` | baseline ${c.ordersPerSecond} orders/s (p50 ${c.p50Ms} ms, ${c.cpuMsPerOrder} ms CPU/order,` +
              ` ${c.mainThreadCpuMsPerOrder} main)` +
              ` ratio ${pair.baselineRatio};` +
              ` mediator CPU ÷ baseline ${pair.cpuVsBaseline}`
            : ''),
      );
    }
    const submitted = (await json(await fetch(`${sandbox.url}/_sandbox/state`))).submittedRequisitions;
    const expected = sides * perSide;
    if (submitted !== expected)
      throw new Error(`expected ${expected} submitted requisitions, the sandbox has ${submitted}`);

    const spread = (xs: number[]) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
    const ratios = pairs.map((p) => p.ratio);
    const mediatorCalls = Math.max(...pairs.map((p) => p.mediator.callsPerOrder));
    const summary = {
      bench: 'openlmis orders (3 lines each), sandbox and mediator in their own processes',
      ordersPerRound: ORDERS,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      ratio: spread(ratios),
      callsPerOrder: { direct: Math.max(...pairs.map((p) => p.direct.callsPerOrder)), mediator: mediatorCalls },
      mediatorCpuMsPerOrder: median(pairs.map((p) => p.mediator.cpuMsPerOrder ?? 0)),
      mediatorMainThreadCpuMsPerOrder: median(pairs.map((p) => p.mediator.mainThreadCpuMsPerOrder ?? 0)),
      sandboxCpuMsPerOrder: {
        direct: median(pairs.map((p) => p.direct.sandboxCpuMsPerOrder)),
        mediator: median(pairs.map((p) => p.mediator.sandboxCpuMsPerOrder)),
      },
      ...(base
        ? {
            baseline: {
              dist: BASE_DIST,
              ratio: spread(pairs.map((p) => p.baselineRatio ?? 0)),
              cpuMsPerOrder: median(pairs.map((p) => p.baseline?.cpuMsPerOrder ?? 0)),
              mainThreadCpuMsPerOrder: median(pairs.map((p) => p.baseline?.mainThreadCpuMsPerOrder ?? 0)),
              mediatorCpuVsBaseline: spread(pairs.map((p) => p.cpuVsBaseline ?? 0)),
            },
          }
        : {}),
      rounds_: pairs,
    };
    console.log(
      `mediator ÷ direct orders/s: min ${summary.ratio.min}  median ${summary.ratio.median}  max ${summary.ratio.max};` +
        ` calls per order: direct ${summary.callsPerOrder.direct}, mediator ${mediatorCalls}`,
    );
    if (summary.baseline)
      console.log(
        `baseline ÷ direct orders/s: median ${summary.baseline.ratio.median} (${summary.baseline.ratio.min}-${summary.baseline.ratio.max});` +
          ` mediator CPU per order ${summary.mediatorCpuMsPerOrder} ms, baseline ${summary.baseline.cpuMsPerOrder} ms,` +
          ` ratio median ${summary.baseline.mediatorCpuVsBaseline.median}` +
          ` (${summary.baseline.mediatorCpuVsBaseline.min}-${summary.baseline.mediatorCpuVsBaseline.max})`,
      );
    console.log(JSON.stringify(summary));
    if (mediatorCalls > MAX_CALLS)
      throw new Error(`the mediator made ${mediatorCalls} calls per order (at most ${MAX_CALLS})`);
  } finally {
    await Promise.all([...procs.map((p) => stopProcess(p)), stopProcess(sandbox.proc)]);
    for (const d of new Set([dir, baseDir])) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
