/**
 * npm run bench:openlmis — orders per second and client p50/p99 through the mediator to the
 * OpenLMIS sandbox, beside the sandbox called directly with the same requisition calls
 * (periodsForInitiate → initiate → PUT the filled lines → submit) by a client holding a token.
 * Same sandbox, same machine, same concurrency, run side by side: the ratio is the mediator's
 * price (FHIR validation, outbox durability on SQLite, reference lookups, journaled steps).
 * BENCH_ORDERS (default 150, one facility each) and BENCH_CONCURRENCY (default 8) tune it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startOpenLmisSandbox, type OpenLmisSandbox } from '../sandbox/openlmis/index.js';
import { loadSettings } from '../src/config/load.js';
import { startMediator } from '../src/main.js';
import { orderLine, transactionOf } from '../test/support/openlmis-e2e.js';
import { runTimed } from './latency.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 150);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PRODUCTS = ['EM-AMX250', 'EM-ORS', 'EM-ZNC20'];
const PASSWORD = 'bench-secret-Lm1';

interface Result {
  name: string;
  ordersPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  orders: number;
}

/** `run(i)` for each order, CONCURRENCY at a time; latency per order as the client sees it. */
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

async function json(res: Response): Promise<any> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** The requisition calls the connector makes, sent straight to the sandbox. */
function directClient(sb: OpenLmisSandbox) {
  const seed = sb.state.seedSummary();
  let token = '';
  const call = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sb.url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    }).then(json);
  return {
    async login() {
      const basic = Buffer.from('user-client:changeme').toString('base64');
      token = (
        await json(
          await fetch(`${sb.url}/api/oauth/token?grant_type=password&username=mediator&password=password`, {
            method: 'POST',
            headers: { authorization: `Basic ${basic}` },
          }),
        )
      ).access_token;
    },
    async order(facilityCode: string) {
      const facility = seed.facilities[facilityCode];
      const program = seed.programs.EM01;
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

async function main() {
  // One sandbox per path, identical seeds: each order goes to its own health post and period.
  const seed = { extraHealthPosts: ORDERS + 20 };
  const facilities = Array.from({ length: ORDERS + 20 }, (_, i) => `LK-HP-${400 + i + 1}`);
  const directSb = await startOpenLmisSandbox({ port: 0, seed });
  const direct = directClient(directSb);
  await direct.login();
  await direct.order(facilities[ORDERS]); // warm-up
  const baseline = await measure('OpenLMIS sandbox, direct requisition calls', ORDERS, (i) =>
    direct.order(facilities[i]),
  );
  await directSb.close();

  const sb = await startOpenLmisSandbox({ port: 0, seed });
  const ids = sb.state.seedSummary().facilities;
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-openlmis-'));
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: PASSWORD,
      DATABASE_URL: '',
      OPENLMIS_BASE_URL: sb.url,
      OPENLMIS_USERNAME: 'mediator',
      OPENLMIS_PASSWORD: 'password',
      OPENLMIS_CLIENT_SECRET: 'changeme',
      OUTBOX_DEADLINE_MS: '30000',
    } as NodeJS.ProcessEnv),
  );
  const auth = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;
  const viaMediator = async (i: number, facilityCode: string) => {
    const bundle = transactionOf(
      PRODUCTS.map((productCode) =>
        orderLine({ order: `BENCH-${i}`, facilityId: ids[facilityCode], program: 'EM01', productCode, qty: 200 }),
      ),
    );
    const body = await json(
      await fetch(`${mediator.url}/fhir`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/fhir+json' },
        body: JSON.stringify(bundle),
      }),
    );
    if (!String(body.entry[0].response.status).startsWith('201'))
      throw new Error(`order ${i}: ${body.entry[0].response.status}`);
  };
  await viaMediator(ORDERS + 1, facilities[ORDERS + 1]); // warm-up: validators, token, reference data
  const ours = await measure('FHIR → mediator (SQLite outbox) → OpenLMIS sandbox', ORDERS, (i) =>
    viaMediator(i, facilities[i]),
  );
  const submitted = sb.state.counts().submittedRequisitions;
  await mediator.stop();
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
  if (submitted !== ORDERS + 1)
    throw new Error(`expected ${ORDERS + 1} submitted requisitions, the sandbox has ${submitted}`);

  for (const r of [baseline, ours])
    console.log(
      `${r.name.padEnd(52)} ${String(r.ordersPerSecond).padStart(7)} orders/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`,
    );
  console.log(
    JSON.stringify({
      bench: 'openlmis orders (3 lines each)',
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
