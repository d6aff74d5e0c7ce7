/**
 * Client-side latency with microsecond resolution: `connections` closed-loop clients send the
 * same request for `seconds`, each response timed into Node's built-in HDR histogram
 * (perf_hooks.createHistogram, nanoseconds). autocannon's latency is in whole milliseconds, too
 * coarse for sub-millisecond p50 ratios; its throughput figures are kept.
 */
import { createHistogram } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface LatencyResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measureLatency(opts: {
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | (() => string);
  connections: number;
  seconds: number;
  ok?: (status: number) => boolean;
}): Promise<LatencyResult> {
  const target = new URL(opts.url);
  const pool = new Pool(target.origin, { connections: opts.connections });
  const hist = createHistogram();
  const ok = opts.ok ?? ((s: number) => s >= 200 && s < 300);
  const endAt = performance.now() + opts.seconds * 1000;
  let requests = 0;
  const client = async () => {
    while (performance.now() < endAt) {
      const started = process.hrtime.bigint();
      const res = await pool.request({
        path: target.pathname + target.search,
        method: opts.method ?? 'POST',
        headers: opts.headers,
        body: typeof opts.body === 'function' ? opts.body() : opts.body,
      });
      await res.body.dump();
      hist.record(process.hrtime.bigint() - started);
      if (!ok(res.statusCode)) throw new Error(`${opts.url}: status ${res.statusCode}`);
      requests++;
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: opts.connections }, client));
  const elapsed = (performance.now() - began) / 1000;
  await pool.close();
  const ms = (ns: number) => Number((ns / 1e6).toFixed(3));
  return {
    requests,
    rps: Number((requests / elapsed).toFixed(1)),
    p50Ms: ms(hist.percentile(50)),
    p99Ms: ms(hist.percentile(99)),
  };
}

/**
 * `task(i)` for i < count with `concurrency` closed-loop workers; each call timed into an HDR
 * histogram. The count-bounded twin of measureLatency (which runs for a duration).
 */
export async function runTimed(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<{ seconds: number; p50Ms: number; p99Ms: number }> {
  const hist = createHistogram();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        await task(i);
        hist.record(process.hrtime.bigint() - t0);
      }
    }),
  );
  const ms = (ns: number) => Number((ns / 1e6).toFixed(2));
  return {
    seconds: (performance.now() - started) / 1000,
    p50Ms: ms(hist.percentile(50)),
    p99Ms: ms(hist.percentile(99)),
  };
}
