/**
 * A receipt whose RECEIVED never reached Open mSupply (refused while connecting: the site's link
 * to the mediator is down), after its 'receive-sent' mark: that RECEIVED did not land. A
 * storekeeper then receives the shipment by hand with other quantities; the retry must be the 409
 * it was before the mark, never "done" with this write's quantities. A RECEIVED that did reach it
 * (applied, its answer lost) still ends done on the retry, whatever was edited since, even after a
 * try refused (tries are journaled each under its own number: receive-tries.ts).
 */
import t, { type Test } from 'tap';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import { MemoryJournal } from '../../../support/memory-journal.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import { failure, receivedAnswerLost, receivedTwoAndThree, shipOrder, startRig } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** Nothing listens there (as the existing transport tests use it): a connection is refused. */
const REFUSING = 'http://127.0.0.1:1';

/** `inner`, but once 'receive-sent' is recorded the link to Open mSupply goes down: its RECEIVED is refused. */
function linkDownAtReceive(rig: Rig, inner: StepJournal): StepJournal {
  let down = false;
  return {
    idempotencyKey: inner.idempotencyKey,
    async run(step, action) {
      const result = await inner.run(step, action);
      if (step === 'receive-sent' && !down) {
        down = true;
        rig.connector.reconfigure!({ ...rig.settings, 'msupply.baseUrl': REFUSING });
      }
      return result;
    },
  };
}

/** Its RECEIVED never sent, then received by hand with 1 pack of amoxicillin; the retry is a 409. */
async function neverSentThenByHand(t: Test, rig: Rig, number: string, journal: () => StepJournal) {
  const inbound = await shipOrder(rig, number);
  const delivery = receivedTwoAndThree((await rig.connector.deliveries!.get(inbound.id))!);
  const err = await failure(rig.connector.deliveries!.confirm(delivery, linkDownAtReceive(rig, journal())));
  t.ok(err, `its RECEIVED refused while connecting: ${err?.message}`);
  t.equal(err?.transient, true, 'a transient failure: retried');
  t.equal(err?.neverSent, true, 'certainly never sent');
  const shipment = rig.sb.state.invoices.get(inbound.id)!;
  t.equal(shipment.status, 'DELIVERED', 'nothing received by that write');
  rig.connector.reconfigure!(rig.settings);
  const amoxicillin = rig.sb.state.invoiceLinesOf(inbound.id).find((l) => l.batch === 'B20260')!;
  amoxicillin.numberOfPacks = 1;
  rig.sb.state.moveInbound(shipment, 'RECEIVED');
  const retry = await failure(rig.connector.deliveries!.confirm(delivery, journal()));
  t.equal(retry?.status, 409, `received by hand with other packs: a conflict, not done: ${retry?.message}`);
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's receipt stands");
}

t.test('RECEIVED refused while connecting, received by hand with other packs: the retry is a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new MemoryJournal();
  await neverSentThenByHand(t, rig, 'RCPT-NEVER-SENT-1', () => journal);
});

t.test('RECEIVED applied, its answer lost, lines edited by hand since: the retry is done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new MemoryJournal();
  const inbound = await shipOrder(rig, 'RCPT-NEVER-SENT-2');
  const delivery = receivedTwoAndThree((await rig.connector.deliveries!.get(inbound.id))!);
  rig.sb.faults.add(receivedAnswerLost());
  const err = await failure(rig.connector.deliveries!.confirm(delivery, journal));
  t.ok(err, `its answer lost: ${err?.message}`);
  t.equal(err?.neverSent, false, 'it may have been sent');
  const shipment = rig.sb.state.invoices.get(inbound.id)!;
  t.equal(shipment.status, 'RECEIVED', 'that RECEIVED landed');
  const amoxicillin = rig.sb.state.invoiceLinesOf(inbound.id).find((l) => l.batch === 'B20260')!;
  amoxicillin.numberOfPacks = 1;
  const result = await rig.connector.deliveries!.confirm(delivery, journal);
  t.ok(result.ids, 'done: its own receipt');
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's edit stands");
});

/** Its RECEIVED never sent, then sent again and applied with its answer lost, lines edited: done. */
async function neverSentThenLanded(t: Test, rig: Rig, number: string, journal: () => StepJournal) {
  const inbound = await shipOrder(rig, number);
  const delivery = receivedTwoAndThree((await rig.connector.deliveries!.get(inbound.id))!);
  const err = await failure(rig.connector.deliveries!.confirm(delivery, linkDownAtReceive(rig, journal())));
  t.equal(err?.neverSent, true, 'the first try never sent');
  rig.connector.reconfigure!(rig.settings);
  rig.sb.faults.add(receivedAnswerLost());
  const lost = await failure(rig.connector.deliveries!.confirm(delivery, journal()));
  t.equal(lost?.neverSent, false, 'the second try may have been sent');
  const shipment = rig.sb.state.invoices.get(inbound.id)!;
  t.equal(shipment.status, 'RECEIVED', 'the second try landed');
  const amoxicillin = rig.sb.state.invoiceLinesOf(inbound.id).find((l) => l.batch === 'B20260')!;
  amoxicillin.numberOfPacks = 1;
  const result = await rig.connector.deliveries!.confirm(delivery, journal());
  t.equal(result.ids.shipment, inbound.id, 'done: its own receipt, the first try refused notwithstanding');
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's edit stands");
}

t.test('RECEIVED refused while connecting, then applied with its answer lost, edited: the retry is done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new MemoryJournal();
  await neverSentThenLanded(t, rig, 'RCPT-NEVER-SENT-4', () => journal);
});

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: RECEIVED refused while connecting, then landed unanswered: the stored journal's retry is done`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      const id = 'receipt-never-sent-5';
      await store.recordWrite(newJob(id, { flow: 'delivery', system: 'msupply', idempotencyKey: `delivery|${id}` }));
      await neverSentThenLanded(t, rig, 'RCPT-NEVER-SENT-5', () => new StoreStepJournal(store, { id }));
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: RECEIVED refused while connecting, by hand, the stored journal's retry is a 409`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      const id = 'receipt-never-sent-3';
      await store.recordWrite(newJob(id, { flow: 'delivery', system: 'msupply', idempotencyKey: `delivery|${id}` }));
      await neverSentThenByHand(t, rig, 'RCPT-NEVER-SENT-3', () => new StoreStepJournal(store, { id }));
    },
  );
}
