/**
 * The rig of the stock → DHIS2 bridge end to end: the OpenLMIS and DHIS2 sandboxes, the real
 * connectors configured against them, an SQLite store and the outbox with the routing services'
 * delivery handlers (as `serve` and the CLI register them). OpenLMIS's clock is set to a fixed
 * day, so the seeded lots' expiry dates and the month's events give the same figures every run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SEED_API_TOKEN, startDhis2Sandbox, type Dhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import { startOpenLmisSandbox, type OpenLmisSandbox } from '../../../sandbox/openlmis/index.js';
import type { StockBridgeDeps } from '../../../src/bridges/stock-to-dhis2.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import type { Connector } from '../../../src/routing/ports.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { createDhis2Connector } from '../../../src/systems/dhis2/index.js';
import { loadDhis2Products } from '../../../src/systems/dhis2/products.js';
import { crosswalkLinked, crosswalkLookup } from '../../../src/systems/index.js';
import { createOpenLmisConnector } from '../../../src/systems/openlmis/index.js';
import type { EngineCase } from '../../support/outbox-engines.js';

/** The sandbox's "today": the month before it (January 2027) is the one sent. */
export const TODAY = '2027-02-10';

export interface StockRig {
  lmis: OpenLmisSandbox;
  dhis2: Dhis2Sandbox;
  store: Store;
  outbox: Outbox;
  connectors: Connector[];
  deps: StockBridgeDeps;
  /** Posts a stock event to OpenLMIS as its administrator (the LMIS's own state, not the mediator's). */
  postEvent(facility: string, program: string, lines: EventLine[]): Promise<void>;
  close(): Promise<void>;
}

export interface EventLine {
  product: string;
  quantity: number;
  date: string;
  reason?: string;
  /** Facility code of the source node (a receipt). */
  from?: string;
  lot?: string;
}

export interface StockRigOptions {
  /** The DHIS2 version the sandbox answers as (default the sandbox's). */
  version?: string;
  /** The store (a PostgreSQL URL from engineCases); default SQLite in a temp dir. */
  databaseUrl?: string;
  /** More settings of the connectors (`dhis2.dataElementIdScheme` …). */
  settings?: Record<string, string>;
}

/**
 * startStockRig on a fresh database of `engine`, closed and dropped at the test's end, with
 * LK-HC-101 having used 150 ORS in January 2027: a value for the bridge to write for that month.
 */
export async function startJanuaryStockRig(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  options: Omit<StockRigOptions, 'databaseUrl'> = {},
): Promise<StockRig> {
  const db = await engine.freshDatabase();
  const rig = await startStockRig('LkStockMnth', { ...options, databaseUrl: db.databaseUrl });
  t.teardown(async () => {
    await rig.close();
    await db.drop();
  });
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-ORS', quantity: 150, date: '2027-01-22', reason: 'Consumed' },
  ]);
  return rig;
}

export async function startStockRig(dataSet = 'LkStockMnth', options: StockRigOptions = {}): Promise<StockRig> {
  const lmis = await startOpenLmisSandbox({ seed: { now: new Date(`${TODAY}T12:00:00Z`) } });
  const ahead = (Date.parse(`${TODAY}T12:00:00Z`) - Date.now()) / 1000;
  if (ahead > 0) lmis.state.advanceTime(ahead);
  const dhis2 = await startDhis2Sandbox(options.version ? { version: options.version } : {});
  const dir = mkdtempSync(path.join(tmpdir(), 'stock-bridge-'));
  const store = await openStore(options.databaseUrl ? { databaseUrl: options.databaseUrl } : { dataDir: dir });
  const settings = {
    'openlmis.baseUrl': lmis.url,
    'openlmis.username': 'mediator',
    'openlmis.password': 'password',
    'openlmis.clientSecret': 'changeme',
    'dhis2.baseUrl': dhis2.url,
    'dhis2.apiToken': SEED_API_TOKEN,
    'dhis2.dataSet': dataSet,
    ...options.settings,
  };
  // the crosswalk as `serve` hands it to DHIS2's connector: a linked leaf above facilityLevel is a facility
  const dhis2Connector = createDhis2Connector(settings, {
    crosswalk: crosswalkLookup(store, 'dhis2'),
    linked: crosswalkLinked(store, 'dhis2'),
  });
  const connectors = [createOpenLmisConnector(settings), dhis2Connector];
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 5_000, backoff: { baseMs: 50, capMs: 200 }, attemptTimeoutMs: 4_000, leaseMs: 5_000 },
  });
  createRoutingServices({ connectors, outbox, store });
  const seed = lmis.state.seedSummary();
  const admin = await login(lmis.url);
  return {
    lmis,
    dhis2,
    store,
    outbox,
    connectors,
    deps: { store, outbox, connectors, products: loadDhis2Products(settings), dataSet },
    async postEvent(facility, program, lines) {
      const body = {
        facilityId: seed.facilities[facility],
        programId: seed.programs[program],
        signature: 'stock-bridge e2e',
        lineItems: lines.map((l) => ({
          orderableId: seed.orderables[l.product],
          lotId: l.lot ? seed.lots[l.lot] : undefined,
          quantity: l.quantity,
          occurredDate: l.date,
          reasonId: l.reason ? seed.reasons[l.reason] : undefined,
          sourceId: l.from ? seed.nodes[l.from] : undefined,
        })),
      };
      const res = await fetch(`${lmis.url}/api/stockEvents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`stock event refused: ${res.status} ${await res.text()}`);
    },
    async close() {
      await outbox.stop(1_000);
      await Promise.all(connectors.map((c) => c.close?.()));
      await store.close();
      await Promise.all([lmis.close(), dhis2.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function login(base: string): Promise<string> {
  const res = await fetch(`${base}/api/oauth/token?grant_type=password&username=administrator&password=password`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('user-client:changeme').toString('base64')}` },
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A data value as DHIS2 holds it now (by codes), or undefined. */
export function dhis2Value(sb: Dhis2Sandbox, orgUnitCode: string, dataElementCode: string, period: string) {
  const ou = [...sb.state.orgUnits.values()].find((o) => o.code === orgUnitCode);
  const de = [...sb.state.dataElements.values()].find((d) => d.code === dataElementCode);
  if (!ou || !de) return undefined;
  return [...sb.state.dataValues.values()].find(
    (v) => v.orgUnit === ou.id && v.dataElement === de.id && v.period === period,
  )?.value;
}
