/**
 * `npx tsx bench/put-locks.ts` — what it costs a PUT that every write of a resource is serialized
 * with the If-Match checks of it (fhir/interactions.ts exclusively: a Store.withLocks per write).
 * The real mediator (startMediator) on the OpenLMIS sandbox, both in this process, on the store
 * DATABASE_URL names (default: SQLite in a temp dir; a postgres:// URL for PostgreSQL):
 * - lock: Store.withLocks([one name], no work) alone, on a store of its own (µs per lock), and the
 *   statements and lock-pool checkouts one withLocks of one and of two names sends (counted, so
 *   the figure holds on a loaded machine);
 * - sequential: unconditional PUTs of one Location, one after another (ms per PUT, median and p90);
 * - concurrent: one PUT of every seeded facility at once, ROUNDS times (ms per round, median).
 * The PUTs include the sandbox's work (same process): compare runs of this file at two builds
 * (BENCH_SRC=dir imports the mediator from that tree's src, e.g. `git archive HEAD src` unpacked),
 * not the figures with anything else. BENCH_PUTS (default 200), BENCH_ROUNDS (default 30).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { openLmisEnv } from '../test/support/openlmis-e2e.js';
import { startHarness } from '../test/unit/sandbox/openlmis/helpers.js';

const PUTS = Number(process.env.BENCH_PUTS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const SRC = path.resolve(process.env.BENCH_SRC ?? path.join(import.meta.dirname, '..', 'src'));
const AUTH = `Basic ${Buffer.from('openhim:bench-secret-Qw3').toString('base64')}`;

const load = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(SRC, file)).href) as Promise<T>;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${quantile(sorted, 0.5).toFixed(2)} ms, p90 ${quantile(sorted, 0.9).toFixed(2)} ms (n=${ms.length})`;
}

/**
 * Statements sent to PostgreSQL, and lock-pool checkouts, while `fn` runs: counted, not timed, so
 * the figure holds on a loaded machine (pg.Client.prototype.query carries every statement).
 */
async function counted(fn: () => Promise<void>): Promise<{ statements: number; checkouts: number }> {
  const query = pg.Client.prototype.query;
  const connect = pg.Pool.prototype.connect;
  const n = { statements: 0, checkouts: 0 };
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    n.statements++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  pg.Pool.prototype.connect = function (this: pg.Pool, ...args: unknown[]) {
    n.checkouts++;
    return (connect as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof connect;
  try {
    await fn();
  } finally {
    pg.Client.prototype.query = query;
    pg.Pool.prototype.connect = connect;
  }
  return n;
}

async function lockCost(databaseUrl: string, openStore: (s: { databaseUrl: string }) => Promise<any>): Promise<void> {
  const store = await openStore({ databaseUrl });
  try {
    const n = 2000;
    for (let i = 0; i < 200; i++) await store.withLocks(['fhir-update|Location/warm'], async () => undefined);
    const started = performance.now();
    for (let i = 0; i < n; i++) await store.withLocks([`fhir-update|Location/${i % 50}`], async () => undefined);
    console.log(`lock: ${(((performance.now() - started) / n) * 1000).toFixed(0)} µs per withLocks of one name`);
    for (const names of [
      ['fhir-update|Location/a'],
      ['fhir-update|Location/a', 'fhir-update|Location?identifier=x|y'],
    ]) {
      const c = await counted(() => store.withLocks(names, async () => undefined));
      console.log(
        `lock: withLocks of ${names.length} name(s): ${c.statements} statements, ${c.checkouts} pool checkouts`,
      );
    }
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'put-locks-'));
  const databaseUrl = process.env.DATABASE_URL ?? `sqlite:${path.join(dir, 'mediator.db')}`;
  const { loadSettings } = await load<typeof import('../src/config/load.js')>('config/load.ts');
  const { startMediator } = await load<typeof import('../src/main.js')>('main.ts');
  const { openStore } = await load<typeof import('../src/store/index.js')>('store/index.ts');
  await lockCost(databaseUrl.startsWith('sqlite:') ? `sqlite:${path.join(dir, 'locks.db')}` : databaseUrl, openStore);

  const lmis = await startHarness();
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: 'bench-secret-Qw3',
      ...openLmisEnv(lmis.sb.url),
    } as NodeJS.ProcessEnv),
  );
  const fhir = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${mediator.url}${url}`, {
      method,
      headers: { authorization: AUTH, accept: 'application/fhir+json', 'content-type': 'application/fhir+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const renamed = async (id: string, name: string) => {
    const { meta: _meta, ...read } = await fhir('GET', `/fhir/Location/${id}`);
    return { ...read, id, name };
  };
  try {
    const ids = Object.values(lmis.seed.facilities) as string[];
    const one = await renamed(ids[0], 'Bench');
    const sequential: number[] = [];
    for (let i = 0; i < PUTS + 20; i++) {
      const started = performance.now();
      await fhir('PUT', `/fhir/Location/${ids[0]}`, { ...one, name: `Bench ${i}` });
      if (i >= 20) sequential.push(performance.now() - started);
    }
    console.log(`sequential PUT of one Location: ${summary(sequential)}`);

    const bodies = await Promise.all(ids.map((id) => renamed(id, 'Bench')));
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS + 3; r++) {
      const started = performance.now();
      await Promise.all(bodies.map((b) => fhir('PUT', `/fhir/Location/${b.id}`, { ...b, name: `${b.name} ${r}` })));
      if (r >= 3) rounds.push(performance.now() - started);
    }
    console.log(`concurrent PUTs of ${ids.length} Locations: ${summary(rounds)} per round`);
  } finally {
    await mediator.stop();
    await lmis.sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
