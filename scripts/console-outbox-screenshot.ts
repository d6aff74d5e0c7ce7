/**
 * Retakes docs/console-outbox.png (the README's "Outbox with a dead letter") from the demo:
 * `npx tsx scripts/console-outbox-screenshot.ts [out.png]`. Needs /usr/bin/chromium (driven by
 * playwright-core, as the console's browser tests drive it) and the shared folder the demo needs.
 *
 * It starts `npm run demo` in a scratch directory with short outbox timings, posts the four
 * examples the demo prints (an order each to OpenLMIS, Open mSupply and OpenMRS, a stock count to
 * DHIS2), then a stock count to OpenLMIS while its sandbox answers 503, which the outbox gives up
 * on after two attempts: a dead letter with the upstream's reason. Then it signs in to the
 * console and shoots the outbox page, with every configured system in the per-system table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openBrowser, signIn } from '../test/e2e/admin/browser.js';
import { startDemoWithEnv, type Demo } from '../test/support/demo-process.js';
import { until } from '../test/support/net.js';

const OPERATOR = 'Omar Operator';
const out = path.resolve(process.argv[2] ?? 'docs/console-outbox.png');

/** Short enough that a dead letter comes within seconds (two attempts, sub-second backoff). */
const OUTBOX_TIMINGS = {
  OUTBOX_MAX_ATTEMPTS: '2',
  OUTBOX_DEADLINE_MS: '1500',
  OUTBOX_BACKOFF_BASE_MS: '200',
  OUTBOX_BACKOFF_CAP_MS: '500',
};

/** The FHIR writes of the demo's "Try:" text: the URL path and the body of each `-d '…'`. */
function printedWrites(demo: Demo): { url: string; body: unknown }[] {
  const lines = demo
    .output()
    .matchAll(/ (http:\/\/\S+\/fhir\S*) -H 'Content-Type: application\/fhir\+json' -d '(.+)'$/gm);
  return [...lines].map(([, url, body]) => ({ url: new URL(url).pathname, body: JSON.parse(body) }));
}

async function postDemoExamples(demo: Demo): Promise<void> {
  for (const { url, body } of printedWrites(demo)) {
    const res = await demo.fhir('POST', url, body);
    if (res.status !== 201) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  }
}

/** The parts of an R5 InventoryReport a new count changes. */
interface StockCount {
  id?: string;
  meta?: unknown;
  identifier: { system: string; value: string }[];
  reportedDateTime: string;
  inventoryListing: { countingDateTime: string; item: { quantity: { value: number } }[] }[];
}

/** A stock count for the demo's OpenLMIS facility, copied from its current stock as the FHIR API reads it. */
async function openLmisStockCount(demo: Demo): Promise<StockCount> {
  const bundle = (await (
    await demo.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${demo.facilityId}`)}`)
  ).json()) as { entry: { resource: StockCount }[] };
  const count = structuredClone(bundle.entry[0].resource);
  delete count.id;
  delete count.meta;
  count.identifier = [{ system: 'https://mobile.example.org/counts', value: 'CNT-CONSOLE-1' }];
  count.reportedDateTime = '2026-11-21T09:00:00Z';
  count.inventoryListing[0].countingDateTime = '2026-11-21T08:30:00Z';
  for (const item of count.inventoryListing[0].item) item.quantity.value = Math.max(0, item.quantity.value - 5);
  return count;
}

async function deadLetterFromOpenLmisOutage(demo: Demo, adminToken: string): Promise<void> {
  const lmis = demo.sandboxUrl('OpenLMIS');
  const fault = await fetch(`${lmis}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      method: 'POST',
      path: '/api/**stockEvents',
      action: { type: 'status', status: 503, body: { message: 'stock service is restarting' } },
    }),
  });
  if (fault.status !== 201) throw new Error(`the OpenLMIS fault was refused: ${fault.status}`);
  const accepted = await demo.fhir('POST', '/fhir/R5/InventoryReport', await openLmisStockCount(demo));
  if (accepted.status !== 202) throw new Error(`the stock count answered ${accepted.status}, not 202`);
  await until(
    'the dead letter',
    async () => {
      const res = await fetch(`${demo.base}/admin/outbox/jobs?status=dead`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      return ((await res.json()) as { jobs: unknown[] }).jobs.length === 1;
    },
    30_000,
  );
  await fetch(`${lmis}/_sandbox/faults`, { method: 'DELETE' }); // OpenLMIS is back
}

async function main(): Promise<void> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'console-screenshot-'));
  const demo = await startDemoWithEnv(cwd, OUTBOX_TIMINGS);
  try {
    const adminToken = /\(admin API: Bearer (\S+)\)/.exec(demo.output())![1];
    await postDemoExamples(demo);
    await deadLetterFromOpenLmisOutage(demo, adminToken);
    const browser = await openBrowser();
    try {
      await signIn(browser.page, demo.base, OPERATOR, adminToken);
      await browser.page.goto(`${demo.base}/admin/ui/outbox`);
      await browser.page.screenshot({ path: out, fullPage: true });
    } finally {
      await browser.close();
    }
    console.log(`wrote ${out}`);
  } finally {
    await demo.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

await main();
