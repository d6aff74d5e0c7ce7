/**
 * npx tsx bench/callgrind-functions.ts DUMP1 DUMP2 REQUESTS [PERF_MAP] [TOP]
 *
 * Where a window's instructions go, by function: each function's own (exclusive) instructions in
 * DUMP2 minus those in DUMP1, divided by REQUESTS (bench/instructions.ts with BENCH_KEEP_DUMPS=1
 * keeps a server's dumps: cg.out.1 after N1 requests, cg.out.2 after N2, so REQUESTS = N2 − N1).
 * What is fixed per window cancels out, as in bench/instructions.ts. Callgrind cannot name
 * V8's JIT code (it shows `???:0x…`): with PERF_MAP, the /tmp/perf-PID.map node writes under
 * --perf-basic-prof (BENCH_NODE_FLAGS), each address is named by the JS function whose code holds
 * it. Session 17 found the edge's cost this way; comparing two trees function by function shows a
 * change that TurboFan's compiling (a quarter of a window, at random) hides in the totals. V8's
 * compiler shows here as its own functions (v8::internal::compiler::…), not taken out.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface JitCode {
  start: number;
  size: number;
  name: string;
}

/** The perf map's entries (`START SIZE NAME`, hex), sorted by start. */
function readPerfMap(file: string): JitCode[] {
  const codes: JitCode[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (match) codes.push({ start: parseInt(match[1], 16), size: parseInt(match[2], 16), name: match[3] });
  }
  return codes.sort((a, b) => a.start - b.start);
}

/** The JS function whose code holds `address` (binary search), or undefined. */
function jitName(codes: JitCode[], address: number): string | undefined {
  let lo = 0;
  let hi = codes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (codes[mid].start <= address) lo = mid + 1;
    else hi = mid - 1;
  }
  const code = codes[hi];
  return code && address < code.start + code.size ? `JS ${code.name}` : undefined;
}

/**
 * CALLGRIND_INCLUSIVE=1: each function with what it calls (callgrind_annotate --inclusive=yes), to
 * see which step of a request holds the cost; recursion and JIT frames make these overlap, so
 * they do not add up to the total.
 */
const inclusive = process.env.CALLGRIND_INCLUSIVE === '1';

/** A dump's exclusive (or inclusive) instructions by function (callgrind_annotate), JIT addresses named. */
async function byFunction(dump: string, codes: JitCode[]): Promise<Map<string, number>> {
  const args = inclusive ? ['--inclusive=yes', '--threshold=100', dump] : ['--threshold=100', dump];
  const { stdout } = await run('callgrind_annotate', args, { maxBuffer: 256 * 1024 * 1024 });
  const costs = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const match = /^\s*([\d,]+) \([\s\d.]+%\)\s+(?:[^:\s]*:)?(.+?)(?: \[[^\]]*\])?$/.exec(line);
    if (!match || match[2].includes('PROGRAM TOTALS')) continue;
    // a recursive call's level ('2, '3) counts as the function itself
    const symbol = match[2].replace(/'\d+$/, '');
    const jit = /^0x([0-9a-f]+)$/.exec(symbol);
    // C++ names lose their parameter lists: overloads are summed
    const cxx = () => symbol.replaceAll('(anonymous namespace)', '{anonymous}').replace(/\(.*$/, '');
    const name = (jit && jitName(codes, parseInt(jit[1], 16))) ?? cxx();
    costs.set(name, (costs.get(name) ?? 0) + Number(match[1].replaceAll(',', '')));
  }
  return costs;
}

async function main() {
  const [first, second, requests, perfMap, top = '60'] = process.argv.slice(2);
  if (!first || !second || !(Number(requests) > 0)) {
    console.error('usage: bench/callgrind-functions.ts DUMP1 DUMP2 REQUESTS [PERF_MAP] [TOP]');
    process.exit(2);
  }
  const codes = perfMap ? readPerfMap(perfMap) : [];
  const [before, after] = await Promise.all([byFunction(first, codes), byFunction(second, codes)]);
  const perRequest = [...new Set([...before.keys(), ...after.keys()])]
    .map((name) => ({ name, cost: ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / Number(requests) }))
    .sort((a, b) => b.cost - a.cost);
  const total = inclusive ? perRequest[0].cost : perRequest.reduce((sum, f) => sum + f.cost, 0);
  console.log(
    `${(total / 1000).toFixed(1)}k instructions per request, by function (${inclusive ? 'with what they call; % of the largest' : 'own instructions'}):`,
  );
  for (const { name, cost } of perRequest.slice(0, Number(top)))
    console.log(`${(cost / 1000).toFixed(1).padStart(8)}k ${((100 * cost) / total).toFixed(1).padStart(5)} %  ${name}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
