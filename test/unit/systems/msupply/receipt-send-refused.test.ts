/**
 * A receipt whose RECEIVED Open mSupply refused outright (the integration user lacks the right in
 * that store: "Forbidden", or a proxy's 403), after its 'receive-sent' mark: that RECEIVED did not
 * land. A storekeeper then receives the shipment by hand with other quantities; the operator's
 * replay (permissions fixed) must be the 409 it was before the mark, never "done" with this
 * write's quantities, which Open mSupply does not hold.
 */
import t, { type Test } from 'tap';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import { MemoryJournal } from '../../../support/memory-journal.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import { failure, receivedTwoAndThree, shipOrder, startRig } from './harness.js';
import type { MsupplyFaultAction } from '../../../../sandbox/msupply/faults.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** Its RECEIVED refused with `refusal`, then received by hand with 1 pack of amoxicillin; the replay's error. */
async function refusedThenByHand(
  t: Test,
  rig: Rig,
  number: string,
  refusal: MsupplyFaultAction,
  journal: () => StepJournal,
) {
  const inbound = await shipOrder(rig, number);
  const delivery = receivedTwoAndThree((await rig.connector.deliveries!.get(inbound.id))!);
  rig.sb.faults.add({ operation: 'updateInboundShipment', variablesInclude: '"RECEIVED"', action: refusal, times: 1 });
  const err = await failure(rig.connector.deliveries!.confirm(delivery, journal()));
  t.ok(err, `its RECEIVED refused: ${err?.message}`);
  t.notOk(err?.transient, 'a definite refusal');
  const shipment = rig.sb.state.invoices.get(inbound.id)!;
  t.equal(shipment.status, 'DELIVERED', 'nothing received by that write');
  const amoxicillin = rig.sb.state.invoiceLinesOf(inbound.id).find((l) => l.batch === 'B20260')!;
  amoxicillin.numberOfPacks = 1;
  rig.sb.state.moveInbound(shipment, 'RECEIVED');
  const replay = await failure(rig.connector.deliveries!.confirm(delivery, journal()));
  t.equal(replay?.status, 409, `received by hand with other packs: a conflict, not done: ${replay?.message}`);
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's receipt stands");
}

t.test('RECEIVED "Forbidden", received by hand with other packs: the replay is a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new MemoryJournal();
  await refusedThenByHand(t, rig, 'RCPT-REFUSED-1', { type: 'graphqlError', message: 'Forbidden' }, () => journal);
});

t.test("RECEIVED answered a proxy's 403, received by hand with other packs: the replay is a 409", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new MemoryJournal();
  await refusedThenByHand(t, rig, 'RCPT-REFUSED-2', { type: 'status', status: 403, body: 'Forbidden' }, () => journal);
});

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: RECEIVED "Forbidden", by hand, the stored journal's replay is a 409`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      const id = 'receipt-send-refused-3';
      await store.recordWrite(newJob(id, { flow: 'delivery', system: 'msupply', idempotencyKey: `delivery|${id}` }));
      await refusedThenByHand(
        t,
        rig,
        'RCPT-REFUSED-3',
        { type: 'graphqlError', message: 'Forbidden' },
        () => new StoreStepJournal(store, { id }),
      );
    },
  );
}
