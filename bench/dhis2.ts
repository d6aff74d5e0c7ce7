/**
 * npm run bench:dhis2 — a national month of stock values pushed to DHIS2 through the connector:
 * values per second and the bench process's peak RSS for 1k and 100k values, side by side. The
 * DHIS2 sandbox runs in its own process (its memory is the server's, not ours); reports are made
 * one at a time (one facility and month each, every product and measure), so the connector's memory
 * stays flat whatever the push's size. BENCH_CONCURRENCY (default 4) reports in flight.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { SEED_API_TOKEN, SEED_ORG_UNITS_FOR_BENCH } from './dhis2-seed.js';
import { createDhis2Client } from '../src/systems/dhis2/client.js';
import { createOrgUnitReader } from '../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../src/systems/dhis2/products.js';
import { dhis2SettingsFrom } from '../src/systems/dhis2/settings.js';
import { MEASURE_SYSTEM, createStockCapability } from '../src/systems/dhis2/stock.js';
import { loadProductCatalogue } from '../src/config/product-catalogue.js';
import type { StockReport } from '../src/domain/index.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const root = path.resolve(import.meta.dirname, '..');
const port = 18000 + Math.floor(Math.random() * 1000);

async function startSandbox(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'sandbox/cli.ts'), 'dhis2', '--port', String(port)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (String(d).includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

const gtins = loadProductCatalogue()
  .products.filter((p) => p.codes.dhis2 && p.gtin)
  .map((p) => p.gtin!);
const MEASURES = ['stockOutDays', 'monthsOfStock', 'consumption', 'quantityReceived', 'adjustments'];

/** Report n: one facility and month; stock on hand plus every other measure of every product. */
function reportAt(n: number): StockReport {
  const facility = SEED_ORG_UNITS_FOR_BENCH[n % SEED_ORG_UNITS_FOR_BENCH.length];
  const month = Math.floor(n / SEED_ORG_UNITS_FOR_BENCH.length);
  const start = new Date(Date.UTC(2000, month, 1)).toISOString();
  const lines = gtins.flatMap((code, i) => [
    {
      product: { system: 'https://www.gs1.org/gtin', code },
      quantity: { value: 100 + i + month, unit: 'dispensing-unit' as const },
    },
    ...MEASURES.map((m) => ({
      product: { system: 'https://www.gs1.org/gtin', code },
      quantity: { value: m === 'adjustments' ? -1 : 2, unit: 'dispensing-unit' as const },
      itemStatus: { system: MEASURE_SYSTEM, code: m },
    })),
  ]);
  return {
    status: 'active',
    countType: 'snapshot',
    reportedAt: start,
    period: { start },
    facility: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: facility } },
    lines,
  };
}

async function push(
  url: string,
  values: number,
): Promise<{ values: number; seconds: number; valuesPerSecond: number; peakRssMb: number; heapAfterGcMb: number }> {
  const settings = dhis2SettingsFrom({
    'dhis2.baseUrl': url,
    'dhis2.apiToken': SEED_API_TOKEN,
    'dhis2.dataSet': 'LkStockMnth',
    'dhis2.concurrency': CONCURRENCY,
  });
  const client = createDhis2Client(() => settings);
  const products = loadDhis2Products({});
  const stock = createStockCapability({ client, reader: createOrgUnitReader(client), products: () => products });
  const perReport = reportAt(0).lines.length;
  const reports = Math.ceil(values / perReport);
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < reports; n = next++) {
        await stock.report(reportAt(n), { idempotencyKey: `bench-${n}`, run: (_s, a) => a() });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await client.close();
  global.gc?.();
  const heapAfterGcMb = Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1));
  const sent = reports * perReport;
  return {
    values: sent,
    seconds: Number(seconds.toFixed(2)),
    valuesPerSecond: Math.round(sent / seconds),
    peakRssMb: Number((peak / 2 ** 20).toFixed(1)),
    heapAfterGcMb,
  };
}

const sandbox = await startSandbox();
try {
  const small = await push(sandbox.url, 1_000);
  const large = await push(sandbox.url, 100_000);
  console.log(
    JSON.stringify(
      { concurrency: CONCURRENCY, small, large, rssGrowthMb: Number((large.peakRssMb - small.peakRssMb).toFixed(1)) },
      null,
      2,
    ),
  );
} finally {
  sandbox.stop();
}
