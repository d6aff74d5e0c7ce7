/**
 * The mediator for the outbox fault-injection test (test/e2e/outbox/faults.test.ts): the real
 * FHIR app, routing and outbox (the code `npm start` runs), with a test connector whose
 * deliveries write to the faulty upstream. InventoryReports take the one-step write,
 * SupplyRequests the two-step one (draft → submit). The test SIGKILLs and restarts this process.
 * It only runs when OUTBOX_HARNESS=1, so `tap` picking this file up as a test does nothing.
 *
 * Env: DATABASE_URL, UPSTREAM_URL, INSTANCE_ID, AUTH_PASSWORD. Prints "LISTENING <port>" when ready.
 */
import { buildApp } from '../../../src/app.js';
import { loadSettings } from '../../../src/config/load.js';
import type { Order, StockReport } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import type { DeliveryHandler } from '../../../src/outbox/types.js';
import type { OutboxJob } from '../../../src/store/types.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { openStore } from '../../../src/store/index.js';
import type { Connector } from '../../../src/routing/ports.js';
import { faultyUpstreamHandlers } from '../../../sandbox/faulty-upstream/handlers.js';

/** Short timings so 1,000 writes with faults and crashes finish in well under a minute. */
export const HARNESS_OUTBOX_OPTIONS = {
  // a lease well past the attempt timeout: on a loaded 2-core machine timers fire late, and an
  // attempt still running when its lease ends could be taken over while it writes
  leaseMs: 2_500,
  attemptTimeoutMs: 400,
  // the upstream's slow answers take at most 150 ms: a retry after a timeout looks once they are in
  settleMs: 500,
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
 * The faulty upstream as a connector: it declares the capabilities (so routing serves the FHIR
 * flows), and its deliveries are the faulty-upstream handlers given the outbox's own attempt
 * number and abort signal. That upstream has no idempotency keys, so a retry looks the business
 * key up before writing again; the journal keeps a two-step write from initiating twice.
 */
function faultyDelivery(upstreamUrl: string) {
  const handlers = faultyUpstreamHandlers(upstreamUrl, 'faulty');
  const refused = (products: { code: string }[]) => products.some((p) => p.code === REJECTED_PRODUCT);
  // The upstream keys writes by the business identifier, as a real connector would.
  const asUpstreamJob = (job: OutboxJob, key: string, reject: boolean): OutboxJob => ({
    ...job,
    idempotencyKey: key,
    payload: { reject, data: { qty: 10 } },
  });
  const stock: DeliveryHandler = (job, journal, ctx) => {
    const r = job.payload as StockReport;
    return handlers.write(
      asUpstreamJob(job, r.identifier!.value, refused(r.lines.map((l) => l.product))),
      journal,
      ctx,
    );
  };
  const order: DeliveryHandler = (job, journal, ctx) => {
    const o = job.payload as Order;
    return handlers.twoStep(
      asUpstreamJob(job, o.orderNumber.value, refused(o.lines.map((l) => l.product))),
      journal,
      ctx,
    );
  };
  const unused = async (): Promise<never> => {
    throw new Error('delivered through the outbox handlers');
  };
  const connector: Connector = {
    system: 'faulty',
    stock: { search: async () => ({ items: [] }), report: unused },
    orders: { get: async () => undefined, search: async () => ({ items: [] }), submit: unused },
  };
  return { connector, handlers: { stock, order } };
}

async function main(): Promise<void> {
  const store = await openStore({ databaseUrl: process.env.DATABASE_URL, poolSize: 20 });
  const outbox = new Outbox({ store, options: { ...HARNESS_OUTBOX_OPTIONS, instanceId: process.env.INSTANCE_ID } });
  const faulty = faultyDelivery(process.env.UPSTREAM_URL!);
  const services = createRoutingServices({ connectors: [faulty.connector], outbox, store });
  // after routing registered the connector's deliveries: the ones that see the outbox's attempt
  outbox.register('stock', 'faulty', faulty.handlers.stock);
  outbox.register('order', 'faulty', faulty.handlers.order);
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
