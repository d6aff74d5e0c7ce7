/**
 * Accepted-then-finished writes routed through OpenHIM: the client got 202 (Processing); when
 * the outbox settles the job, OpenHIM's transaction gets its final status via PUT /transactions.
 * A write settled within the client's deadline sends nothing (the response already was final).
 */
import t from 'tap';
import { BusinessRuleError, UpstreamError } from '../../src/domain/errors.js';
import { createTransactionUpdater } from '../../src/openhim/transaction-updates.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { openStore } from '../../src/store/index.js';
import { DEFAULT_OPENHIM_USER, startOpenHimSandbox } from '../../sandbox/openhim/index.js';

async function setup(t: { teardown(fn: () => Promise<void>): void }, script: (() => void)[]) {
  const openhim = await startOpenHimSandbox({ port: 0 });
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const settings = { 'openhim.apiUrl': openhim.url, 'openhim.username': DEFAULT_OPENHIM_USER.email, 'openhim.password': DEFAULT_OPENHIM_USER.password };
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 1_000, pollMs: 10, backoff: { baseMs: 5, capMs: 10, maxAttempts: 3 } },
    onSettled: createTransactionUpdater({ settings: () => settings, urn: 'urn:mediator:test', secretValues: () => [DEFAULT_OPENHIM_USER.password] }),
  });
  outbox.register('order', 'openlmis', async () => {
    script.shift()?.();
    return { system: 'openlmis', ids: { requisition: 'req-1' } };
  });
  t.teardown(async () => { await outbox.stop(); await store.close(); await openhim.close(); });
  return { outbox, openhim };
}

const transient = () => { throw new UpstreamError({ system: 'openlmis', transient: true, diagnostics: 'OpenLMIS answered 503' }); };

async function settle(outbox: Outbox, openhim: { state: { transactionUpdates: Map<string, unknown[]> } }, tx: string) {
  outbox.startWorker();
  for (let i = 0; i < 300 && !openhim.state.transactionUpdates.has(tx); i++) await new Promise((r) => setTimeout(r, 10));
}

t.test('queued then delivered: the transaction becomes Successful with the upstream ids', async (t) => {
  const { outbox, openhim } = await setup(t, [transient]);
  const first = await outbox.acceptWrite({ flow: 'order', system: 'openlmis', idempotencyKey: 'o-1', payload: { n: 1 }, transactionId: 'tx-1' });
  t.equal(first.kind, 'queued', 'the client is answered 202 → OpenHIM Processing');
  await settle(outbox, openhim, 'tx-1');
  const updates = openhim.state.transactionUpdates.get('tx-1') as any[];
  t.equal(updates?.length, 1, 'one update');
  t.match(updates[0], { status: 'Successful', response: { status: 201 } });
  t.match(updates[0].response.body, /req-1/);
});

t.test('queued then refused by the upstream: Completed with the 4xx reason', async (t) => {
  const { outbox, openhim } = await setup(t, [transient, () => { throw new BusinessRuleError('period 2026-10 is not open', 'SupplyRequest.occurrence'); }]);
  await outbox.acceptWrite({ flow: 'order', system: 'openlmis', idempotencyKey: 'o-2', payload: { n: 2 }, transactionId: 'tx-2' });
  await settle(outbox, openhim, 'tx-2');
  const [update] = openhim.state.transactionUpdates.get('tx-2') as any[];
  t.match(update, { status: 'Completed', response: { status: 422 } });
  t.match(update.response.body, /period 2026-10 is not open/);
});

t.test('given up: Failed; and nothing leaks the OpenHIM password', async (t) => {
  const { outbox, openhim } = await setup(t, [transient, transient, transient]);
  await outbox.acceptWrite({ flow: 'order', system: 'openlmis', idempotencyKey: 'o-3', payload: { n: 3 }, transactionId: 'tx-3' });
  await settle(outbox, openhim, 'tx-3');
  const [update] = openhim.state.transactionUpdates.get('tx-3') as any[];
  t.match(update, { status: 'Failed', response: { status: 502 } });
  t.notMatch(JSON.stringify(update), DEFAULT_OPENHIM_USER.password);
});

t.test('delivered within the deadline: no update (the response was already final)', async (t) => {
  const { outbox, openhim } = await setup(t, []);
  const res = await outbox.acceptWrite({ flow: 'order', system: 'openlmis', idempotencyKey: 'o-4', payload: { n: 4 }, transactionId: 'tx-4' });
  t.equal(res.kind, 'done');
  outbox.startWorker();
  await new Promise((r) => setTimeout(r, 100));
  t.equal(openhim.state.transactionUpdates.size, 0);
});
