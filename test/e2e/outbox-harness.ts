/**
 * The mediator for the outbox fault-injection test (test/e2e/outbox-faults.test.ts): the real
 * FHIR app, routing and outbox (the code `npm start` runs), with one connector swapped for a test
 * double that writes to the faulty upstream. InventoryReports take the one-step write,
 * SupplyRequests the two-step one (draft → submit). The test SIGKILLs and restarts this process.
 * It only runs when OUTBOX_HARNESS=1, so `tap` picking this file up as a test does nothing.
 *
 * Env: DATABASE_URL, UPSTREAM_URL, INSTANCE_ID, AUTH_PASSWORD. Prints "LISTENING <port>" when ready.
 */
import { buildApp } from '../../src/app.js';
import { loadSettings } from '../../src/config/load.js';
import type { Order, StockReport } from '../../src/domain/index.js';
import { Outbox } from '../../src/outbox/outbox.js';
import type { DeliveryContext, DeliveryHandler } from '../../src/outbox/types.js';
import { createRoutingServices } from '../../src/routing/index.js';
import { openStore } from '../../src/store/index.js';
import type { Connector, StepJournal } from '../../src/systems/connector.js';
import { faultyUpstreamHandlers } from '../../sandbox/faulty-upstream/handlers.js';

/** Short timings so 1,000 writes with faults and crashes finish in well under a minute. */
export const HARNESS_OUTBOX_OPTIONS = {
  leaseMs: 1_500,
  attemptTimeoutMs: 400,
  deadlineMs: 150,
  backoff: { baseMs: 20, capMs: 300, maxAttempts: 60 },
  concurrency: { default: 16 },
  breaker: { consecutiveFailures: 8, halfOpenAfterMs: 150 },
  pollMs: 25,
  duplicatePollMs: 20,
};

/** A product code the test uses to make the upstream refuse the write (its 4xx validation error). */
export const REJECTED_PRODUCT = 'refused-by-upstream';

/**
 * A connector over the faulty upstream. That upstream has no idempotency keys, so like a real
 * connector for such a system it looks the business key up before every write (an earlier
 * attempt may have been applied with its answer lost); the journal keeps a two-step write from
 * initiating twice.
 */
function faultyConnector(upstreamUrl: string): Connector {
  const handlers = faultyUpstreamHandlers(upstreamUrl, 'faulty');
  const ctx = (): DeliveryContext => ({ attempt: 2, signal: AbortSignal.timeout(HARNESS_OUTBOX_OPTIONS.attemptTimeoutMs) });
  const deliver = (handler: DeliveryHandler, key: string, reject: boolean, journal: StepJournal) =>
    handler({ idempotencyKey: key, payload: { reject, data: { qty: 10 } } } as never, journal, ctx());
  const none = async () => undefined;
  const nothing = async () => ({ items: [] });
  return {
    system: 'faulty',
    stock: {
      search: nothing,
      report: (r: StockReport, journal) => deliver(handlers.write, r.identifier!.value, r.lines.some((l) => l.product.code === REJECTED_PRODUCT), journal),
    },
    orders: {
      get: none,
      search: nothing,
      submit: (o: Order, journal) => deliver(handlers.twoStep, o.orderNumber.value, o.lines.some((l) => l.product.code === REJECTED_PRODUCT), journal),
    },
  };
}

async function main(): Promise<void> {
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL, poolSize: 20 });
  const outbox = new Outbox({ store, options: { ...HARNESS_OUTBOX_OPTIONS, instanceId: process.env.INSTANCE_ID } });
  const services = createRoutingServices({ connectors: [faultyConnector(process.env.UPSTREAM_URL!)], outbox, store });
  outbox.startWorker();
  const settings = loadSettings({ AUTH_PASSWORD: process.env.AUTH_PASSWORD, LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
  const app = await buildApp({ settings: () => settings, services: () => services, softwareVersion: 'harness' });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`LISTENING ${new URL(address).port}\n`);

  const shutdown = async () => {
    await app.close();
    await outbox.stop(2_000);
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
}

if (process.env.OUTBOX_HARNESS === '1') {
  await main();
}
