/**
 * Routing rules with two connectors, end to end with the real mediator process (issue 10 "Must
 * show"): the OpenLMIS sandbox and an in-test second system (test/e2e/routing/second-system.ts,
 * preloaded into the spawned mediator, writing to a recorder server this test runs so it
 * survives the kill). routing.json sends facility A's orders to OpenLMIS and facility B's to the
 * second system, and fans stock reports out to both. The mediator is SIGKILLed after the primary
 * (OpenLMIS) delivered a stock report and while the secondary delivery hangs; after a restart on
 * the same database the secondary is delivered, and each system applied the report exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { startHarness } from '../../unit/sandbox/openlmis/helpers.js';
import { gtinOf, openLmisEnv, orderLine, transactionOf, why } from '../../support/openlmis-e2e.js';
import { freePort, until } from '../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../..');
const PASSWORD = 'routing-secret-Qw7';
const auth = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;

/** node with the tsx loader and the second system's module preloaded (as systems/openlmis/crash.test.ts: a SIGKILL hits the mediator itself). */
function startMediatorProcess(env: Record<string, string>): ChildProcess {
  const second = pathToFileURL(path.join(root, 'test/e2e/routing/second-system.ts')).href;
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--import', second, path.join(root, 'src/cli/index.ts'), 'serve'],
    { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' },
  );
}

/**
 * The second system: applies every write it answers (no deduplication of its own, so a second
 * delivery by the mediator would show); `hangNext` holds the next stock write unanswered and unapplied.
 */
function startRecorder() {
  const applied: { kind: string; key: string; body: any }[] = [];
  const received: { kind: string; key: string }[] = [];
  const state = { hangNext: false };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      const kind = (req.url ?? '').slice(1);
      const key = String(req.headers['idempotency-key']);
      received.push({ kind, key });
      if (kind === 'stock' && state.hangNext) {
        state.hangNext = false;
        return; // never answered: the mediator is killed while it waits
      }
      applied.push({ kind, key, body: JSON.parse(text) });
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: `${kind}-${applied.length}` }));
    });
  });
  return {
    applied,
    received,
    state,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

t.test('orders routed by facility; a stock report fans out to both systems, each once, across a SIGKILL', async (t) => {
  const lmis = await startHarness();
  const recorder = startRecorder();
  const recorderUrl = await recorder.listen();
  const A = lmis.seed.facilities['LK-HC-101'];
  const B = lmis.seed.facilities['LK-HC-102'];
  const mappings = mkdtempSync(path.join(tmpdir(), 'routing-mappings-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  writeFileSync(
    path.join(mappings, 'routing.json'),
    JSON.stringify({
      flows: {
        orders: {
          rules: [{ name: 'facility B orders from the second system', when: { facility: [B] }, system: 'test' }],
          default: 'openlmis',
        },
        stock: { default: 'openlmis', secondary: [{ system: 'test' }] },
        deliveries: { default: 'openlmis' },
        facilities: { default: 'openlmis' },
      },
    }),
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'routing-crash-'));
  const port = await freePort();
  const env = {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    AUTH_PASSWORD: PASSWORD,
    DATABASE_URL: '',
    MAPPINGS_DIR: mappings,
    ROUTING_TEST_SYSTEM_URL: recorderUrl,
    ...openLmisEnv(lmis.sb.url),
    OUTBOX_DEADLINE_MS: '8000',
    OUTBOX_ATTEMPT_TIMEOUT_MS: '4000',
    OUTBOX_LEASE_MS: '5000',
    OUTBOX_BACKOFF_BASE_MS: '100',
    OUTBOX_BACKOFF_CAP_MS: '500',
  };
  let child = startMediatorProcess(env);
  t.teardown(async () => {
    child.kill('SIGKILL');
    await recorder.close();
    await lmis.sb.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(mappings, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  const fhir = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/fhir+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  await until('the mediator', async () => (await fetch(`${base}/health`)).ok);

  // orders: facility A → OpenLMIS, facility B → the second system
  const requisitionsOf = (facilityId: string) =>
    lmis.sb.state.requisitionsByStatus().filter((r: any) => r.facilityId === facilityId);
  const orderA = await fhir(
    'POST',
    '/fhir',
    transactionOf([
      orderLine({ order: 'ROUTE-A', facilityId: A, program: 'EM01', productCode: 'EM-AMX250', qty: 100 }),
    ]),
  );
  t.equal(orderA.status, 200, why(orderA));
  await until(
    'facility A requisition in OpenLMIS',
    async () => requisitionsOf(A).some((r: any) => r.status === 'SUBMITTED') || undefined,
  );
  const orderB = await fhir(
    'POST',
    '/fhir',
    transactionOf([
      orderLine({ order: 'ROUTE-B', facilityId: B, program: 'EM01', productCode: 'EM-AMX250', qty: 100 }),
    ]),
  );
  t.equal(orderB.status, 200, why(orderB));
  t.match(orderB.body.entry[0].response.status, /^201/, 'the second system took it');
  const orders = () => recorder.applied.filter((a) => a.kind === 'orders');
  t.same(
    orders().map((o) => [o.body.orderNumber.value, o.body.facility.id]),
    [['ROUTE-B', B]],
    'only facility B order reached the second system',
  );
  t.equal(requisitionsOf(B).length, 0, 'and none reached OpenLMIS');
  t.equal(requisitionsOf(A).length, 1, 'facility A: one requisition in OpenLMIS');

  // stock: OpenLMIS (system of record) delivers; the second system's delivery hangs; SIGKILL
  const reports = await fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${A}`)}`);
  const current = reports.body.entry
    .map((e: any) => e.resource)
    .find((r: any) => r.inventoryListing[0].item.some((i: any) => i.item.concept.coding[0].code === gtinOf('FP-CNDM')));
  t.ok(current, 'facility A has a family planning stock card');
  const count = structuredClone(current);
  delete count.id;
  delete count.meta;
  count.identifier = [{ system: 'https://mobile.example.org/counts', value: 'CNT-ROUTE-1' }];
  count.reportedDateTime = '2026-11-21T09:00:00Z';
  count.inventoryListing[0].countingDateTime = '2026-11-21T08:30:00Z';
  for (const item of count.inventoryListing[0].item) item.quantity.value = Math.max(0, item.quantity.value - 5);
  const eventsBefore = lmis.sb.state.counts().stockEvents;
  recorder.state.hangNext = true;
  const posted = await fhir('POST', '/fhir/R5/InventoryReport', count);
  t.equal(posted.status, 201, `the answer is OpenLMIS's, not held by the hanging secondary: ${why(posted)}`);
  t.equal(lmis.sb.state.counts().stockEvents, eventsBefore + 1, 'OpenLMIS applied the report');
  const key = 'stock|https://mobile.example.org/counts|CNT-ROUTE-1';
  await until(
    'the secondary delivery under way',
    async () => recorder.received.some((r) => r.kind === 'stock') || undefined,
    10_000,
  );
  t.equal(
    recorder.applied.filter((a) => a.kind === 'stock').length,
    0,
    'the second system has not applied it when the mediator dies',
  );

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok(
    await fetch(`${base}/health`).then(
      () => false,
      () => true,
    ),
    'the killed mediator no longer answers',
  );
  child = startMediatorProcess(env);
  await until('the restarted mediator', async () => (await fetch(`${base}/health`)).ok);
  await until(
    'the secondary delivered after the restart',
    async () => recorder.applied.some((a) => a.kind === 'stock') || undefined,
    60_000,
  );
  await new Promise((r) => setTimeout(r, 1_000));

  const stock = recorder.applied.filter((a) => a.kind === 'stock');
  t.equal(stock.length, 1, 'the second system applied the report exactly once');
  t.equal(stock[0].body.identifier.value, 'CNT-ROUTE-1');
  t.ok(
    recorder.received.filter((r) => r.kind === 'stock').length >= 2,
    'it was sent again after the kill (the first send died with the mediator)',
  );
  t.ok(
    recorder.received
      .filter((r) => r.kind === 'stock')
      .every((r) => r.key === recorder.received.find((x) => x.kind === 'stock')!.key),
    'every send carried the same job key',
  );
  t.equal(
    lmis.sb.state.counts().stockEvents,
    eventsBefore + 1,
    'OpenLMIS applied it exactly once (its job was done before the kill)',
  );

  const admin = await fetch(`${base}/admin/outbox/jobs?flow=stock`, {
    headers: { authorization: `Bearer ${PASSWORD}` },
  });
  t.equal(admin.status, 200);
  const jobs = ((await admin.json()) as any).jobs.map((j: any) => [j.system, j.idempotencyKey, j.status]).sort();
  t.same(
    jobs,
    [
      ['openlmis', key, 'done'],
      ['test', `${key}|test`, 'done'],
    ],
    'two jobs, each under its own key, both done',
  );
});
