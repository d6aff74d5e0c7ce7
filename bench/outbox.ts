/**
 * npm run bench:outbox — the price of durability. The same one-step writes go
 *   (1) straight to a no-op upstream (a plain HTTP POST, no outbox),
 *   (2) through acceptWrite on SQLite (WAL, synchronous=FULL),
 *   (3) through acceptWrite on PostgreSQL (TEST_DATABASE_URL, else a throw-away server started
 *       with scripts/pg-test-server.sh when the binaries exist),
 * with the same client concurrency; it prints accepted writes/s, client p50/p99 and the ratio
 * to the direct path. BENCH_WRITES (default 3000) and BENCH_CONCURRENCY (default 32) tune it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { faultyUpstreamHandlers } from '../sandbox/faulty-upstream/handlers.js';
import { startFaultyUpstream } from '../sandbox/faulty-upstream/server.js';
import { Outbox } from '../src/outbox/outbox.js';
import { openStore, type Store } from '../src/store/index.js';
import { runTimed } from './latency.js';

const WRITES = Number(process.env.BENCH_WRITES ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Result {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  accepted: number;
}

/** Run `write(i)` for i < WRITES with CONCURRENCY workers; latency per call as the client sees it. */
async function measure(name: string, write: (i: number) => Promise<boolean>): Promise<Result> {
  for (let i = 0; i < 100; i++) await write(WRITES + i); // warm-up: JIT, pools, prepared statements
  let accepted = 0;
  const t = await runTimed(WRITES, CONCURRENCY, async (i) => {
    if (await write(i)) accepted += 1;
  });
  return { name, perSecond: accepted / t.seconds, p50: t.p50Ms, p99: t.p99Ms, accepted };
}

async function throughOutbox(name: string, store: Store, upstreamUrl: string, run: string): Promise<Result> {
  const outbox = new Outbox({ store, options: { concurrency: { default: CONCURRENCY } } });
  outbox.register('write', 'noop', faultyUpstreamHandlers(upstreamUrl, 'noop').write);
  outbox.startWorker();
  try {
    return await measure(name, async (i) => {
      const o = await outbox.acceptWrite({
        flow: 'write',
        system: 'noop',
        idempotencyKey: `${run}-${i}`,
        payload: { data: { qty: i } },
      });
      return o.kind === 'done' || o.kind === 'queued';
    });
  } finally {
    await outbox.stop();
    await store.close();
  }
}

async function postgresUrl(): Promise<{ url: string; cleanup: () => Promise<void> } | undefined> {
  let base = process.env.TEST_DATABASE_URL;
  let stop: (() => void) | undefined;
  if (!base) {
    try {
      const out = execFileSync(path.join(ROOT, 'scripts/pg-test-server.sh'), ['start'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      base = /TEST_DATABASE_URL=(\S+)/.exec(out)?.[1];
      const dir = /PG_TEST_DIR=(\S+)/.exec(out)?.[1];
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
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    cleanup: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      stop?.();
    },
  };
}

const upstream = await startFaultyUpstream();
const results: Result[] = [];
results.push(
  await measure('direct (no outbox)', async (i) => {
    const res = await fetch(`${upstream.url}/writes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: `direct-${i}`, payload: { qty: i } }),
    });
    await res.arrayBuffer();
    return res.status === 201;
  }),
);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-bench-'));
results.push(
  await throughOutbox(
    'outbox, SQLite',
    await openStore({ databaseUrl: `sqlite:${path.join(dir, 'bench.db')}` }),
    upstream.url,
    'sqlite',
  ),
);
fs.rmSync(dir, { recursive: true, force: true });

const pgTarget = await postgresUrl();
if (pgTarget) {
  try {
    results.push(
      await throughOutbox(
        'outbox, PostgreSQL',
        await openStore({ databaseUrl: pgTarget.url, poolSize: CONCURRENCY }),
        upstream.url,
        'pg',
      ),
    );
  } finally {
    await pgTarget.cleanup();
  }
} else {
  process.stdout.write('PostgreSQL: skipped (no TEST_DATABASE_URL and no server binaries to start one)\n');
}
await upstream.close();

const direct = results[0];
process.stdout.write(
  `\n${WRITES} writes, ${CONCURRENCY} concurrent clients, ${os.cpus().length} CPUs, Node ${process.version}\n`,
);
process.stdout.write(
  `${'path'.padEnd(22)} ${'writes/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  throughput vs direct  p50 vs direct\n`,
);
for (const r of results) {
  process.stdout.write(
    `${r.name.padEnd(22)} ${r.perSecond.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}  ${(r.perSecond / direct.perSecond).toFixed(2).padStart(20)}  ${(r.p50 / direct.p50).toFixed(2).padStart(13)}\n`,
  );
}
