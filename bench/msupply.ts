/**
 * npm run bench:msupply — orders per second and client p50/p99 through the mediator to the Open
 * mSupply sandbox, beside the sandbox called directly with the same GraphQL writes (insert the
 * request requisition, insert and fill each line, SENT) by a client holding a bearer. Same sandbox
 * code (executing the real schema), same machine, same concurrency, run side by side: the ratio
 * is the mediator's price (FHIR validation, outbox durability on SQLite, the store, supplier and
 * item lookups, the look-before-write reads, journaled steps).
 * BENCH_ORDERS (default 150) and BENCH_CONCURRENCY (default 8) tune it.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMsupplySandbox, type MsupplySandbox } from '../sandbox/msupply/index.js';
import { loadSettings } from '../src/config/load.js';
import { startMediator } from '../src/main.js';
import {
  AUTH_TOKEN,
  INSERT_REQUEST_REQUISITION,
  INSERT_REQUEST_REQUISITION_LINE,
  UPDATE_REQUEST_REQUISITION,
  UPDATE_REQUEST_REQUISITION_LINE,
} from '../src/systems/msupply/operations.js';
import { orderLine, transactionOf } from '../test/support/openlmis-e2e.js';
import { runTimed } from './latency.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 150);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PRODUCTS = ['EM-AMX250', 'EM-ORS', 'EM-ZNC20'];
const ITEMS = ['item-amx250', 'item-ors', 'item-znc20'];
const STORE = 'store-hc-north';
const PASSWORD = 'bench-secret-Ms1';
const root = path.resolve(import.meta.dirname, '..');

interface Result {
  name: string;
  ordersPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  orders: number;
}

async function measure(name: string, count: number, run: (i: number) => Promise<void>): Promise<Result> {
  const t = await runTimed(count, CONCURRENCY, run);
  return {
    name,
    ordersPerSecond: Number((count / t.seconds).toFixed(1)),
    p50Ms: t.p50Ms,
    p99Ms: t.p99Ms,
    orders: count,
  };
}

/** The requisition writes the connector makes, sent straight to the sandbox. */
function directClient(sb: MsupplySandbox) {
  let token = '';
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(`${sb.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  return {
    async login() {
      token = (await gql(AUTH_TOKEN, { username: 'mediator', password: 'password' })).authToken.token;
    },
    async order() {
      const id = randomUUID();
      await gql(INSERT_REQUEST_REQUISITION, {
        storeId: STORE,
        input: { id, otherPartyId: 'name-wh-central', maxMonthsOfStock: 3, minMonthsOfStock: 1, theirReference: id },
      });
      for (const itemId of ITEMS) {
        const lineId = randomUUID();
        await gql(INSERT_REQUEST_REQUISITION_LINE, {
          storeId: STORE,
          input: { id: lineId, itemId, requisitionId: id },
        });
        await gql(UPDATE_REQUEST_REQUISITION_LINE, { storeId: STORE, input: { id: lineId, requestedQuantity: 200 } });
      }
      await gql(UPDATE_REQUEST_REQUISITION, { storeId: STORE, input: { id, status: 'SENT' } });
    },
  };
}

async function main() {
  const directSb = await startMsupplySandbox();
  const direct = directClient(directSb);
  await direct.login();
  await direct.order(); // warm-up
  const baseline = await measure('Open mSupply sandbox, direct GraphQL writes', ORDERS, () => direct.order());
  await directSb.close();

  const sb = await startMsupplySandbox();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-msupply-'));
  const mappings = mkdtempSync(path.join(tmpdir(), 'bench-msupply-map-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  const rule = {
    rules: [{ name: 'Open mSupply store', when: { facility: [STORE] }, system: 'msupply' }],
    default: null,
  };
  writeFileSync(
    path.join(mappings, 'routing.json'),
    JSON.stringify({ flows: { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } } }),
  );
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: PASSWORD,
      DATABASE_URL: '',
      MAPPINGS_DIR: mappings,
      MSUPPLY_BASE_URL: sb.url,
      MSUPPLY_USERNAME: 'mediator',
      MSUPPLY_PASSWORD: 'password',
      MSUPPLY_SUPPLIER_CODE: 'WH-CENTRAL',
      OUTBOX_DEADLINE_MS: '30000',
    } as NodeJS.ProcessEnv),
  );
  const auth = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;
  const viaMediator = async (i: number) => {
    const bundle = transactionOf(
      PRODUCTS.map((productCode) =>
        orderLine({ order: `BENCH-MS-${i}`, facilityId: STORE, program: 'EM01', productCode, qty: 200 }),
      ),
    );
    const res = await fetch(`${mediator.url}/fhir`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(bundle),
    });
    const body = (await res.json()) as any;
    if (!String(body.entry?.[0]?.response?.status).startsWith('201'))
      throw new Error(`order ${i}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  };
  await viaMediator(ORDERS + 1); // warm-up: validators, token, lookups
  const ours = await measure('FHIR → mediator (SQLite outbox) → Open mSupply sandbox', ORDERS, (i) => viaMediator(i));
  const sent = [...sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST' && r.status === 'SENT').length;
  await mediator.stop();
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(mappings, { recursive: true, force: true });
  if (sent !== ORDERS + 1) throw new Error(`expected ${ORDERS + 1} SENT requisitions, the sandbox has ${sent}`);

  for (const r of [baseline, ours])
    console.log(
      `${r.name.padEnd(56)} ${String(r.ordersPerSecond).padStart(7)} orders/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`,
    );
  console.log(
    JSON.stringify({
      bench: 'msupply orders (3 lines each)',
      orders: ORDERS,
      concurrency: CONCURRENCY,
      direct: baseline,
      mediator: ours,
      throughputRatio: Number((ours.ordersPerSecond / baseline.ordersPerSecond).toFixed(3)),
      p50Ratio: Number((ours.p50Ms / baseline.p50Ms).toFixed(2)),
      p99Ratio: Number((ours.p99Ms / baseline.p99Ms).toFixed(2)),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
