/**
 * npm run bench:bridges — the stock → DHIS2 bridge over a national month: 2,000 facilities × 50
 * products × 7 indicators (700,000 values) read from the Open mSupply sandbox's ledger and pushed
 * to the DHIS2 sandbox, beside a tenth of it (200 facilities), each in a fresh bridge process:
 * wall time, values per second and the bridge process's peak RSS. The sandboxes run in their own
 * process (their memory is the servers', not the bridge's). Memory stays flat because facilities
 * are read, computed, compared and written one at a time and the result keeps only problems.
 *
 *   npm run bench:bridges                 both sizes, side by side (JSON on stdout)
 *   BENCH_STORES=500 npm run bench:bridges   another "national" size
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const ITEMS = 50;
const STORES = Number(process.env.BENCH_STORES ?? 2000);
const MONTH = '2027-01';
const NATIONAL = 'urn:bench:national-product';
const itemCode = (n: number) => `BKI${String(n).padStart(2, '0')}`;
const storeCode = (n: number) => `BK-${String(n).padStart(4, '0')}`;

// ---------------------------------------------------------------------------------------------
// role "sandboxes": both sandboxes with the bulk seed, their URLs as one JSON line on stdout

async function serveSandboxes(stores: number): Promise<void> {
  const { startMsupplySandbox } = await import('../sandbox/msupply/index.js');
  const { startDhis2Sandbox } = await import('../sandbox/dhis2/index.js');
  const msupply = await startMsupplySandbox({ bulk: { stores, items: ITEMS, month: MONTH } });
  const dhis2 = await startDhis2Sandbox({
    bulk: {
      orgUnits: Array.from({ length: stores }, (_, i) => storeCode(i + 1)),
      products: Array.from({ length: ITEMS }, (_, i) => dhis2Code(i + 1)),
    },
  });
  process.stdout.write(JSON.stringify({ msupply: msupply.url, dhis2: dhis2.url }) + '\n');
  process.on('SIGTERM', () => void Promise.all([msupply.close(), dhis2.close()]).then(() => process.exit(0)));
}

const dhis2Code = (n: number) => `BK_I${String(n).padStart(2, '0')}`;

// ---------------------------------------------------------------------------------------------
// role "bridge": one run of the bridge against the sandboxes; time, counts and peak RSS as JSON

async function runBridge(urls: { msupply: string; dhis2: string }, mappings: string): Promise<void> {
  const { SEED_API_TOKEN } = await import('../sandbox/dhis2/seed.js');
  const { bridgePeriod } = await import('../src/bridges/stock-period.js');
  const { problems, runStockToDhis2 } = await import('../src/bridges/stock-to-dhis2.js');
  const { Outbox } = await import('../src/outbox/outbox.js');
  const { createRoutingServices } = await import('../src/routing/index.js');
  const { openStore } = await import('../src/store/index.js');
  const { createDhis2Connector } = await import('../src/systems/dhis2/index.js');
  const { loadDhis2Products } = await import('../src/systems/dhis2/products.js');
  const { createMsupplyConnector } = await import('../src/systems/msupply/index.js');
  const settings = {
    'mappings.dir': mappings,
    'mapping.nationalProductCodeSystem': NATIONAL,
    'mapping.productCodeSystem': 'national',
    'msupply.baseUrl': urls.msupply,
    'msupply.username': 'mediator',
    'msupply.password': 'password',
    'dhis2.baseUrl': urls.dhis2,
    'dhis2.apiToken': SEED_API_TOKEN,
    'dhis2.dataSet': 'LkStockMnth',
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-bridges-'));
  const store = await openStore({ dataDir: dir });
  const connectors = [createMsupplyConnector(settings), createDhis2Connector(settings)];
  const outbox = new Outbox({ store, options: { deadlineMs: 60_000, attemptTimeoutMs: 60_000, leaseMs: 120_000 } });
  createRoutingServices({ connectors, outbox, store });
  const rss = () => process.memoryUsage().rss / 2 ** 20;
  const baseRssMb = rss();
  let peak = baseRssMb;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);
  const started = performance.now();
  const result = await runStockToDhis2(
    { store, outbox, connectors, products: loadDhis2Products(settings), dataSet: 'LkStockMnth' },
    { period: bridgePeriod(MONTH), keep: problems },
  );
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, rss());
  process.stdout.write(
    JSON.stringify({
      facilities: result.facilities,
      values: result.counts.values,
      sent: result.counts.sent,
      problems: result.outcomes.length,
      seconds: Number((ms / 1000).toFixed(1)),
      valuesPerSecond: Math.round(result.counts.values / (ms / 1000)),
      baseRssMb: Math.round(baseRssMb),
      peakRssMb: Math.round(peak),
    }) + '\n',
  );
  await outbox.stop(1_000);
  await Promise.all(connectors.map((c) => c.close?.()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// orchestration

/** The catalogue and indicator map with the bench items (national codes; mSupply and DHIS2 columns). */
function benchMappings(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-bridges-mappings-'));
  cpSync(path.join(root, 'fhir-mappings'), dir, { recursive: true });
  const file = path.join(dir, 'products.json');
  const catalogue = JSON.parse(readFileSync(file, 'utf8')) as { products: unknown[] };
  for (let i = 1; i <= ITEMS; i++)
    catalogue.products.push({
      national: `BK-NPC-${String(i).padStart(2, '0')}`,
      display: `Bench item ${i}`,
      dispensingUnit: 'tablet',
      packSize: 10,
      codes: { msupply: itemCode(i), dhis2: dhis2Code(i) },
    });
  writeFileSync(file, JSON.stringify(catalogue, null, 2));
  return dir;
}

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/bridges.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    p.stdout!.on('data', (d: Buffer) => {
      text += String(d);
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(text.slice(0, nl));
    });
    p.once('exit', (code) => reject(new Error(`${p.spawnargs.slice(-3).join(' ')} exited ${code} before answering`)));
  });
}

async function measure(stores: number, mappings: string) {
  const sandboxes = child(['sandboxes', String(stores)]);
  try {
    const urls = await firstLine(sandboxes);
    const bridge = child(['bridge', urls, mappings]);
    return JSON.parse(await firstLine(bridge)) as Record<string, number>;
  } finally {
    sandboxes.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  if (role === 'sandboxes') return serveSandboxes(Number(rest[0]));
  if (role === 'bridge') return runBridge(JSON.parse(rest[0]) as { msupply: string; dhis2: string }, rest[1]);
  const mappings = benchMappings();
  try {
    const tenth = await measure(Math.round(STORES / 10), mappings);
    const national = await measure(STORES, mappings);
    const ratio = (k: string) => Number((national[k] / tenth[k]).toFixed(2));
    process.stdout.write(
      JSON.stringify(
        {
          month: MONTH,
          items: ITEMS,
          indicators: 7,
          tenth: { stores: Math.round(STORES / 10), ...tenth },
          national: { stores: STORES, ...national },
          ratios: { values: ratio('values'), seconds: ratio('seconds'), peakRssMb: ratio('peakRssMb') },
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    rmSync(mappings, { recursive: true, force: true });
  }
}

await main();
