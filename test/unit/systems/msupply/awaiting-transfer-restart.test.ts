/**
 * A receipt waiting for a site's sync (awaiting-transfer.ts) keeps the time of its first look in
 * the job's journal: another instance (a restart) that looks again counts the 14 days from then,
 * not from its own look, and still holds the job uncharged.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { SHIPMENT_SYSTEM } from '../../../../src/systems/msupply/identifiers.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { outboxFixture } from '../../../support/outbox-fixture.js';
import { AMOXICILLIN, MemoryJournal, order, startRig } from './harness.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a restarted instance looking again keeps the first look's time`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRig();
      t.teardown(() => rig.close());
      await rig.connector.orders!.submit(order('SYNC-LAG-2', [{ gtin: AMOXICILLIN, qty: 300 }]), new MemoryJournal());
      const response = [...rig.sb.state.requisitions.values()].find(
        (r) => r.type === 'RESPONSE' && r.theirReference === 'SYNC-LAG-2',
      )!;
      const { outbound, inbound } = rig.sb.state.shipResponseRequisition(response.id);
      for (const l of rig.sb.state.invoiceLinesOf(inbound.id)) rig.sb.state.invoiceLines.delete(l.id);
      rig.sb.state.invoices.delete(inbound.id);

      const options = { backoff: { baseMs: 5, capMs: 20, maxAttempts: 1 } };
      const f = await outboxFixture(t, engine, { options });
      let looks = 0;
      const receive = (
        job: { payload: unknown },
        journal: Parameters<typeof rig.connector.fulfilment.confirmReceipt>[1],
      ) => {
        looks += 1;
        return rig.connector.fulfilment.confirmReceipt(job.payload as Delivery, journal);
      };
      f.outbox.register('receive', 'msupply', receive);
      const first = await f.outbox.acceptWrite({
        flow: 'receive',
        system: 'msupply',
        idempotencyKey: 'SYNC-LAG-2',
        payload: {
          identifier: { system: SHIPMENT_SYSTEM, value: outbound.id },
          status: 'completed',
          supplier: { id: outbound.storeId },
          destination: { id: inbound.storeId },
          lines: [],
        },
      });
      const since = /sync since (\S+?)\)/.exec(String((await f.store.getJob(first.jobId))!.lastError))?.[1];
      t.ok(since, `the first look's time is in the reason: ${since}`);
      await f.outbox.stop(5_000);

      // another instance on the same database; an operator asks for a look now
      await new Promise((r) => setTimeout(r, 20));
      const restarted = await f.secondInstance(options);
      restarted.register('receive', 'msupply', receive);
      t.ok(
        await f.store.requeueJob(
          first.jobId,
          { actor: 'op', action: 'outbox.retry', subject: first.jobId },
          Date.now(),
        ),
      );
      await restarted.runOnce();
      await restarted.idle();
      t.equal(looks, 2, 'the restarted instance looked again');
      const job = (await f.store.getJob(first.jobId))!;
      t.match(job, { status: 'pending', attempts: 0 }, 'still held, uncharged');
      t.match(String(job.lastError), `sync since ${since})`, 'counted from the first look');
    },
  );
}
