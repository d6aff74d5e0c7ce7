/**
 * A receipt confirmed on the receiving store's inbound shipment before Open mSupply's transfer made
 * it there (the remote site has not synced yet: fulfilment.ts confirmReceipt). It waits through
 * the outbox uncharged, for a bound (awaiting-transfer.ts): before, each look was charged and the
 * receipt dead-lettered after maxAttempts, an accepted write lost to a slow sync.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { SHIPMENT_SYSTEM } from '../../../../src/systems/msupply/identifiers.js';
import {
  AwaitingTransfer,
  TRANSFER_LOOK_AGAIN_MS,
  TRANSFER_WAIT_LIMIT_MS,
  awaitingTransfer,
} from '../../../../src/systems/msupply/awaiting-transfer.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { outboxFixture } from '../../../support/outbox-fixture.js';
import { AMOXICILLIN, MemoryJournal, order, startRig } from './harness.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a receipt whose inbound shipment the sync has not brought waits, uncharged`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRig();
      t.teardown(() => rig.close());
      await rig.connector.orders!.submit(order('SYNC-LAG-1', [{ gtin: AMOXICILLIN, qty: 300 }]), new MemoryJournal());
      const response = [...rig.sb.state.requisitions.values()].find(
        (r) => r.type === 'RESPONSE' && r.theirReference === 'SYNC-LAG-1',
      )!;
      const { outbound, inbound } = rig.sb.state.shipResponseRequisition(response.id);
      // the receiving site has not synced: no inbound shipment there yet
      for (const l of rig.sb.state.invoiceLinesOf(inbound.id)) rig.sb.state.invoiceLines.delete(l.id);
      rig.sb.state.invoices.delete(inbound.id);

      // one attempt allowed: a charged failure would dead-letter the receipt
      const f = await outboxFixture(t, engine, { options: { backoff: { baseMs: 5, capMs: 20, maxAttempts: 1 } } });
      f.outbox.register('receive', 'msupply', (job, journal) =>
        rig.connector.fulfilment.confirmReceipt(job.payload as Delivery, journal),
      );
      const receipt = {
        identifier: { system: SHIPMENT_SYSTEM, value: outbound.id },
        status: 'completed',
        supplier: { id: outbound.storeId },
        destination: { id: inbound.storeId },
        lines: [],
      };
      const before = Date.now();
      const first = await f.outbox.acceptWrite({
        flow: 'receive',
        system: 'msupply',
        idempotencyKey: 'SYNC-LAG-1',
        payload: receipt,
      });
      t.match(first, { kind: 'queued', reason: /has no inbound shipment from .* yet .*queued until/ });
      const job = await f.store.getJob(first.jobId);
      t.match(job, { status: 'pending', attempts: 0, lastError: /waiting for the receiving site's sync since/ });
      t.ok(job!.nextAttemptAt! >= before + TRANSFER_LOOK_AGAIN_MS, 'looked at again after the interval');
      t.same(f.outbox.breakerGates(), { msupply: 'closed' }, 'a slow sync is not the system failing');
    },
  );
}

t.test('the wait is bounded from its first look, across attempts', async (t) => {
  const journal = new MemoryJournal();
  const t0 = Date.parse('2026-11-21T09:00:00Z');
  const first = await awaitingTransfer(journal, 'no inbound shipment yet', t0);
  t.ok(first instanceof AwaitingTransfer, 'held');
  t.equal((first as AwaitingTransfer).retryAt, t0 + TRANSFER_LOOK_AGAIN_MS);
  const later = await awaitingTransfer(journal, 'no inbound shipment yet', t0 + TRANSFER_WAIT_LIMIT_MS - 1);
  t.ok(later instanceof AwaitingTransfer, 'still held just within the bound');
  const past = await awaitingTransfer(journal, 'no inbound shipment yet', t0 + TRANSFER_WAIT_LIMIT_MS);
  t.notOk(past instanceof AwaitingTransfer, 'past the bound: charged');
  t.equal((past as { retryAt?: number }).retryAt, undefined);
  t.equal(past.transient, true, 'still retried until its attempts run out');
  t.match(past.message, /since 2026-11-21T09:00:00.000Z \(longer than 14 days\)/);
});
