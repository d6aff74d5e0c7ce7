/**
 * Accepted-then-finished writes routed through OpenHIM: the client got 202 (Processing); when
 * the outbox settles the job, OpenHIM's transaction gets its final status via PUT /transactions.
 * A write settled within the client's deadline sends nothing (the response already was final).
 */
import { selfSigned } from '../../support/self-signed.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { BusinessRuleError, UpstreamError } from '../../../src/domain/errors.js';
import { createTransactionUpdater } from '../../../src/openhim/transaction-updates.js';
import { createTransactionReporter } from '../../../src/openhim/transaction-update-sweep.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { DEFAULT_OPENHIM_USER, startOpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { haveOpenssl } from '../../support/openssl.js';
import { acceptedThroughOpenHim, sandboxUpdater } from '../../support/transaction-update-rig.js';

/** Transaction n's id, as core makes them (an ObjectId). */
const tx = (n: number) => `65a0c0ffee0000000000${n.toString(16).padStart(4, '0')}`;

async function setup(t: { teardown(fn: () => Promise<void>): void }, script: (() => void)[]) {
  const openhim = await startOpenHimSandbox({ port: 0 });
  // what core keeps of the requests answered 202 through it
  for (let n = 1; n <= 9; n++) acceptedThroughOpenHim(openhim, tx(n));
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const reporter = createTransactionReporter({
    store,
    send: sandboxUpdater(openhim.url),
    timings: { retryBaseMs: 20, retryCapMs: 80, claimMs: 500 },
  });
  reporter.start();
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 1_000, pollMs: 10, settleMs: 10, backoff: { baseMs: 5, capMs: 10, maxAttempts: 3 } },
    onSettled: (job) => reporter.report(job),
    owesTransactionUpdate: (job) => job.transactionId !== undefined,
    transactionUpdateGraceMs: 500,
  });
  outbox.register('order', 'openlmis', async () => {
    script.shift()?.();
    return { system: 'openlmis', ids: { requisition: 'req-1' } };
  });
  t.teardown(async () => {
    await outbox.stop();
    await reporter.stop();
    await store.close();
    await openhim.close();
  });
  return { outbox, openhim };
}

const transient = () => {
  throw new UpstreamError({ system: 'openlmis', transient: true, diagnostics: 'OpenLMIS answered 503' });
};

async function settle(outbox: Outbox, openhim: { state: { transactionUpdates: Map<string, unknown[]> } }, tx: string) {
  outbox.startWorker();
  for (let i = 0; i < 300 && !openhim.state.transactionUpdates.has(tx); i++)
    await new Promise((r) => setTimeout(r, 10));
}

t.test('queued then delivered: the transaction becomes Successful with the upstream ids', async (t) => {
  const { outbox, openhim } = await setup(t, [transient]);
  const first = await outbox.acceptWrite({
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: 'o-1',
    payload: { n: 1 },
    transactionId: tx(1),
  });
  t.equal(first.kind, 'queued', 'the client is answered 202 → OpenHIM Processing');
  await settle(outbox, openhim, tx(1));
  const updates = openhim.state.transactionUpdates.get(tx(1)) as any[];
  t.equal(updates?.length, 1, 'one update');
  t.match(updates[0], { status: 'Successful', response: { status: 201 } });
  t.match(updates[0].response.body, /req-1/);
});

t.test('queued then refused by the upstream: Completed with the 4xx reason', async (t) => {
  const { outbox, openhim } = await setup(t, [
    transient,
    () => {
      throw new BusinessRuleError('period 2026-10 is not open', 'SupplyRequest.occurrence');
    },
  ]);
  await outbox.acceptWrite({
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: 'o-2',
    payload: { n: 2 },
    transactionId: tx(2),
  });
  await settle(outbox, openhim, tx(2));
  const [update] = openhim.state.transactionUpdates.get(tx(2)) as any[];
  t.match(update, { status: 'Completed', response: { status: 422 } });
  t.match(update.response.body, /period 2026-10 is not open/);
});

t.test('given up: Failed; and nothing leaks the OpenHIM password', async (t) => {
  const { outbox, openhim } = await setup(t, [transient, transient, transient]);
  await outbox.acceptWrite({
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: 'o-3',
    payload: { n: 3 },
    transactionId: tx(3),
  });
  await settle(outbox, openhim, tx(3));
  const [update] = openhim.state.transactionUpdates.get(tx(3)) as any[];
  t.match(update, { status: 'Failed', response: { status: 502 } });
  t.notMatch(JSON.stringify(update), DEFAULT_OPENHIM_USER.password);
});

t.test(
  'queued then failed by a mediator bug: Failed with a 500 naming the kept job, not a give-up after retries',
  async (t) => {
    const { outbox, openhim } = await setup(t, [
      transient,
      () => {
        return (undefined as unknown as { x: number }).x;
      },
    ]);
    await outbox.acceptWrite({
      flow: 'order',
      system: 'openlmis',
      idempotencyKey: 'o-5',
      payload: { n: 5 },
      transactionId: tx(5),
    });
    await settle(outbox, openhim, tx(5));
    const [update] = openhim.state.transactionUpdates.get(tx(5)) as any[];
    t.match(update, { status: 'Failed', response: { status: 500 } });
    t.match(update.response.body, /Internal error in the mediator/);
    t.notMatch(update.response.body, /gave up after/);
  },
);

t.test('OpenHIM unavailable when the job settles: the update is retried until it takes it', async (t) => {
  const { outbox, openhim } = await setup(t, [transient]);
  await outbox.acceptWrite({
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: 'o-6',
    payload: { n: 6 },
    transactionId: tx(6),
  });
  openhim.state.unavailable = true; // core restarting: every API call a 503
  outbox.startWorker();
  for (let i = 0; i < 300 && !openhim.state.calls.some((c) => c.url.startsWith(`/transactions/${tx(6)}`)); i++)
    await new Promise((r) => setTimeout(r, 5));
  t.ok(
    openhim.state.calls.some((c) => c.url.startsWith(`/transactions/${tx(6)}`) && c.status === 503),
    'the first update met a 503',
  );
  openhim.state.unavailable = false;
  await settle(outbox, openhim, tx(6));
  const updates = openhim.state.transactionUpdates.get(tx(6)) as any[];
  t.equal(updates?.length, 1, 'the transaction is updated once OpenHIM is back, not left Processing');
  t.match(updates?.[0], { status: 'Successful', response: { status: 201 } });
});

t.test('delivered within the deadline: no update (the response was already final)', async (t) => {
  const { outbox, openhim } = await setup(t, []);
  const res = await outbox.acceptWrite({
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: 'o-4',
    payload: { n: 4 },
    transactionId: tx(4),
  });
  t.equal(res.kind, 'done');
  outbox.startWorker();
  await new Promise((r) => setTimeout(r, 100));
  t.equal(openhim.state.transactionUpdates.size, 0);
});

t.test(
  'openhim.trustSelfSigned changed live takes effect on the next update',
  { skip: haveOpenssl() ? false : 'skipped: openssl not found' },
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openhim-tls-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    selfSigned(dir, 'openhim', 'IP:127.0.0.1');
    const updates: string[] = [];
    const server = createServer(
      { key: readFileSync(path.join(dir, 'openhim.key')), cert: readFileSync(path.join(dir, 'openhim.crt')) },
      (req, res) => {
        updates.push(`${req.method} ${req.url}`);
        // the transaction as core keeps one this mediator answered 202, then the update's answer
        const stored = { properties: { awaitsUpdateFrom: 'urn:mediator:test' }, response: { status: 202 } };
        const answer = req.method === 'GET' ? JSON.stringify(stored) : '{}';
        req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const settings: Record<string, unknown> = {
      'openhim.apiUrl': `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      'openhim.password': 'pw',
      'openhim.trustSelfSigned': false,
    };
    const update = createTransactionUpdater({
      settings: () => settings,
      urn: 'urn:mediator:test',
      secretValues: () => ['pw'],
    });
    const job = {
      id: 'j1',
      flow: 'order',
      system: 'openlmis',
      idempotencyKey: 'k',
      payloadHash: 'h',
      payload: {},
      status: 'done' as const,
      attempts: 1,
      nextAttemptAt: 0,
      transactionId: tx(1),
      createdAt: 0,
      updatedAt: 0,
      result: { system: 'openlmis', ids: {} },
    };

    t.match(
      await update(job),
      { kind: 'retry', reason: /certificate/ },
      'a self-signed OpenHIM certificate is refused by default (kept owed: the setting may change)',
    );
    settings['openhim.trustSelfSigned'] = true;
    t.same(await update(job), { kind: 'sent' });
    t.same(
      updates,
      [`GET /transactions/${tx(1)}?filterRepresentation=simpledetails`, `PUT /transactions/${tx(1)}`],
      'trusted once the setting changed, without a restart (the transaction read first)',
    );
    settings['openhim.trustSelfSigned'] = false;
    t.match(await update(job), { kind: 'retry' }, 'and refused again when it is turned back off');
    t.equal(updates.length, 2);
  },
);
