/**
 * npm run bench:openlmis-location — CPU time of the mediator per 20-item Location search served
 * from OpenLMIS (issue 18: ≤ 1 ms with reference data cached; it cost 3.9 ms when each search
 * pulled every facility and zone). The sandbox and the mediator (production configuration) run
 * in their own processes; the mediator's CPU comes from /proc, the upstream calls from the
 * sandbox's request log. Side by side, interleaved for ROUNDS rounds:
 * - paged: `Location?_count=20`, paged by OpenLMIS (one /api/facilities/full page, zones cached);
 * - unpaged: `Location?_count=20&_sort=name`, which the edge must sort itself, so every match is
 *   fetched and decoded (what every search did before). Still 1 upstream call per search: every
 *   facility of the bench's sandbox fits one /api/facilities/full page (client.all asks 500 at a
 *   time) and zones come from the reference-data cache; what it adds is mediator work (decoding,
 *   encoding and sorting every match). The upstream calls of one search of each kind are printed.
 * - paged openhim: the paged search as OpenHIM sends it (`X-OpenHIM-TransactionID`): answered in
 *   the `application/json+openhim` envelope, with the upstream call recorded as an orchestration.
 * BENCH_REQUESTS (per round and kind, default 300), BENCH_ROUNDS (default 3) tune it.
 * BENCH_WARMUP (requests per kind before measuring, default 1000): V8 was still optimizing, and
 * throwing optimized code away, past the first thousand searches (--trace-opt: ~80 functions
 * optimized per 250 searches up to ~2,000, and the compiler threads were 10 % of the CPU samples
 * after 50 searches), so a short warm-up measured the JIT more than the search.
 * BENCH_BASE_DIST=dir adds a second mediator from that build (a baseline: the tree before a change).
 * It runs every kind too, each right after the new build's (A B A B …), so both see the same load
 * and the same work: when the baseline ran only the paged kind and sat idle through the others,
 * a build measured against itself came out at 0.68-0.70 (two A/A runs, session 11), so ratios
 * taken that way flattered the new build by about a third.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { BENCH_PASSWORD, cpuMs, json, startMediatorProcess, startSandbox, stopProcess } from './openlmis-processes.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
const LIMIT_MS = 1;
const auth = `Basic ${Buffer.from(`openhim:${BENCH_PASSWORD}`).toString('base64')}`;

type KindName = 'paged' | 'unpaged' | 'paged openhim';

interface Kind {
  name: KindName | `baseline ${KindName}`;
  query: string;
  /** Sent through OpenHIM: a transaction id header, the answer in its envelope. */
  openhim?: boolean;
  /** Measured against the baseline build's mediator. */
  baseline?: boolean;
}

const BASE_DIST = process.env.BENCH_BASE_DIST;
// BENCH_KINDS=paged (a comma list) measures only those kinds: a CPU profile of one kind alone
const ONLY = process.env.BENCH_KINDS?.split(',').map((k) => k.trim());
const OWN_KINDS: Kind[] = [
  { name: 'paged', query: '/fhir/Location?_count=20' },
  { name: 'unpaged', query: '/fhir/Location?_count=20&_sort=name' },
  { name: 'paged openhim', query: '/fhir/Location?_count=20', openhim: true },
];
// each kind, then (with a baseline) the same kind on the baseline's mediator
const KINDS: Kind[] = OWN_KINDS.filter((k) => !ONLY || ONLY.includes(k.name)).flatMap((k) =>
  BASE_DIST ? [k, { ...k, name: `baseline ${k.name as KindName}` as const, baseline: true }] : [k],
);

/** [a, a', b, b'] → [a', a, b', b]: the same pairs, the other side first. */
const swapPairs = (kinds: Kind[]): Kind[] => kinds.flatMap((k, i) => (i % 2 ? [k, kinds[i - 1]] : []));

/** Kernel (stime) ms of a process, from /proc: socket and pipe writes are most of it. */
function sysMs(pid: number | undefined): number {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[12]) * 10;
}

async function requestCount(sandboxUrl: string): Promise<number> {
  return (await json(await fetch(`${sandboxUrl}/_sandbox/requests?from=1000000000`))).count;
}

let transactions = 0;

/** One search; its Bundle (out of the OpenHIM envelope for an OpenHIM kind). */
async function searchOnce(kind: Kind, url: string): Promise<{ entry?: unknown[] }> {
  const headers: Record<string, string> = { authorization: auth };
  if (kind.openhim) headers['x-openhim-transactionid'] = `bench-${++transactions}`;
  const res = await fetch(`${url}${kind.query}`, { headers });
  const body = await json(res);
  return kind.openhim ? JSON.parse(body.response.body) : body;
}

/** The upstream calls (method and path) one search of this kind makes, once warm. */
async function upstreamCallsOf(kind: Kind, url: string, sandboxUrl: string): Promise<string[]> {
  const from = await requestCount(sandboxUrl);
  await searchOnce(kind, url);
  const log = await json(await fetch(`${sandboxUrl}/_sandbox/requests?from=${from}`));
  return (log.requests as { method: string; path: string }[]).map((r) => `${r.method} ${r.path}`);
}

/** `n` searches one after another; the mediator's CPU ms and the upstream calls per search. */
async function measure(kind: Kind, n: number, mediator: { url: string; proc: ChildProcess }, sandboxUrl: string) {
  const calls0 = await requestCount(sandboxUrl);
  const cpu0 = cpuMs(mediator.proc.pid);
  const sys0 = sysMs(mediator.proc.pid);
  for (let i = 0; i < n; i++) {
    const body = await searchOnce(kind, mediator.url);
    if ((body.entry?.length ?? 0) !== 20) throw new Error(`${kind.query}: ${body.entry?.length} entries, not 20`);
  }
  return {
    cpuMsPerRequest: Number(((cpuMs(mediator.proc.pid) - cpu0) / n).toFixed(3)),
    sysMsPerRequest: Number(((sysMs(mediator.proc.pid) - sys0) / n).toFixed(3)),
    callsPerRequest: Number((((await requestCount(sandboxUrl)) - calls0) / n).toFixed(2)),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const sandbox = await startSandbox(24);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-openlmis-location-'));
  const baseDir = mkdtempSync(path.join(tmpdir(), 'bench-openlmis-location-base-'));
  let mediatorProc: ChildProcess | undefined;
  let baseProc: ChildProcess | undefined;
  try {
    const mediator = await startMediatorProcess(sandbox.url, dir);
    mediatorProc = mediator.proc;
    const base = BASE_DIST ? await startMediatorProcess(sandbox.url, baseDir, BASE_DIST) : undefined;
    baseProc = base?.proc;
    const serverOf = (kind: Kind) => (kind.baseline ? base! : mediator);
    // the same warm-up for every kind: JIT, the token, zones and facility types cached
    for (const kind of KINDS) await measure(kind, WARMUP, serverOf(kind), sandbox.url);
    for (const kind of KINDS)
      console.log(
        `${kind.name}: upstream calls of one search: ${(await upstreamCallsOf(kind, serverOf(kind).url, sandbox.url)).join(', ')}`,
      );
    const results: Record<
      Kind['name'],
      { cpuMsPerRequest: number; sysMsPerRequest: number; callsPerRequest: number }[]
    > = {
      paged: [],
      unpaged: [],
      'paged openhim': [],
      'baseline paged': [],
      'baseline unpaged': [],
      'baseline paged openhim': [],
    };
    for (let r = 0; r < ROUNDS; r++) {
      // odd rounds take each pair baseline first: going first in a pair cost ~10 % in an A/A run
      for (const kind of r % 2 && BASE_DIST ? swapPairs(KINDS) : KINDS)
        results[kind.name].push(await measure(kind, REQUESTS, serverOf(kind), sandbox.url));
      console.log(
        `round ${r + 1}: ` +
          KINDS.map(
            (k) =>
              `${k.name} ${results[k.name][r].cpuMsPerRequest} ms CPU (${results[k.name][r].sysMsPerRequest} kernel), ${results[k.name][r].callsPerRequest} calls`,
          ).join(' | '),
      );
    }
    const cpu = (k: Kind['name']) => results[k].map((x) => x.cpuMsPerRequest);
    const ratioOf = (a: Kind['name'], b: Kind['name']) => {
      // a kind left out by BENCH_KINDS has no rounds: no ratio rather than a TypeError
      if (!results[a].length || !results[b].length) return undefined;
      const r = results[a].map((x, i) => Number((x.cpuMsPerRequest / results[b][i].cpuMsPerRequest).toFixed(3)));
      return { min: Math.min(...r), median: median(r), max: Math.max(...r) };
    };
    const ratios = results.unpaged.length
      ? results.paged.map((p, i) => Number((p.cpuMsPerRequest / results.unpaged[i].cpuMsPerRequest).toFixed(3)))
      : [NaN];
    const summary = {
      bench:
        'openlmis Location search, 20 items, mediator CPU per request (sandbox and mediator in their own processes)',
      requestsPerRound: REQUESTS,
      rounds: ROUNDS,
      pagedCpuMs: { min: Math.min(...cpu('paged')), median: median(cpu('paged')), max: Math.max(...cpu('paged')) },
      unpagedCpuMs: {
        min: Math.min(...cpu('unpaged')),
        median: median(cpu('unpaged')),
        max: Math.max(...cpu('unpaged')),
      },
      pagedOverUnpaged: { min: Math.min(...ratios), median: median(ratios), max: Math.max(...ratios) },
      ...(BASE_DIST
        ? {
            baselinePagedCpuMs: median(cpu('baseline paged')),
            pagedOverBaseline: ratioOf('paged', 'baseline paged'),
            ...(results.unpaged.length ? { unpagedOverBaseline: ratioOf('unpaged', 'baseline unpaged') } : {}),
            ...(results['paged openhim'].length
              ? { openhimOverBaseline: ratioOf('paged openhim', 'baseline paged openhim') }
              : {}),
          }
        : {}),
      ...(results['paged openhim'].length
        ? {
            openhimPagedCpuMs: median(cpu('paged openhim')),
            // what the envelope adds: the same search through OpenHIM over without, round by round
            openhimOverPaged: ratioOf('paged openhim', 'paged'),
          }
        : {}),
      callsPerRequest: {
        paged: median(results.paged.map((x) => x.callsPerRequest)),
        unpaged: median(results.unpaged.map((x) => x.callsPerRequest)),
      },
    };
    console.log(JSON.stringify(summary));
    if (results.paged.length) {
      const verdict = summary.pagedCpuMs.median <= LIMIT_MS ? 'within' : 'ABOVE';
      console.log(
        `paged 20-item search: median ${summary.pagedCpuMs.median} ms CPU per request, ${verdict} the ${LIMIT_MS} ms target`,
      );
    }
  } finally {
    await Promise.all([stopProcess(mediatorProc), stopProcess(baseProc), stopProcess(sandbox.proc)]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(baseDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
