/**
 * A receipt whose own RECEIVED landed (its answer lost, or the process died before recording
 * it), after which a storekeeper split or deleted one of the received shipment's lines in Open
 * mSupply (lines are editable until VERIFIED). The write landed: its retry ends done, without
 * planning the lines again, and nothing is written or received a second time. Received by hand
 * after this write stopped before sending RECEIVED stays a 409 (receipt-lines-changed.test.ts).
 */
import t from 'tap';
import { DyingJournal } from '../../../support/dying-journal.js';
import { HookedJournal } from '../../../support/hooked-journal.js';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import { failure, receivedTwoAndThree, shipOrder, startRig } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** Ordered and shipped: 3 packs of 100 amoxicillin (batch B20260), 4 packs of ORS. */
async function shipped(rig: Rig, number: string) {
  const inbound = await shipOrder(rig, number);
  const delivery = (await rig.connector.deliveries!.get(inbound.id))!;
  const lines = rig.sb.state.invoiceLinesOf(inbound.id);
  const amoxicillin = lines.find((l) => l.batch === 'B20260')!;
  const ors = lines.find((l) => l.batch === 'B20262')!;
  return { inbound, delivery, amoxicillin, ors };
}

/** `step` ran and the process died before recording it. */
async function diedAfter(rig: Rig, number: string, step: string) {
  const s = await shipped(rig, number);
  await rig.connector.deliveries!.precheck!(receivedTwoAndThree(s.delivery));
  const journal = new DyingJournal(step, 'after');
  const err = await failure(rig.connector.deliveries!.confirm(receivedTwoAndThree(s.delivery), journal));
  if (!/died/.test(String(err?.message))) throw err;
  return { ...s, journal };
}

/** Open mSupply's receipts and line writes the mediator sent so far. */
const writes = (rig: Rig) =>
  rig.sb.state.applied.filter(
    (a) => a.mutation === 'updateInboundShipment' || a.mutation === 'updateInboundShipmentLine',
  ).length;

t.test('its RECEIVED landed, a line split since: the retry is done, nothing sent again', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin, journal } = await diedAfter(rig, 'RCPT-LANDED-1', 'received');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'RECEIVED', 'the receipt landed');
  const copy = { ...amoxicillin, id: `${amoxicillin.id}-split`, numberOfPacks: 1 };
  amoxicillin.numberOfPacks -= 1;
  rig.sb.state.invoiceLines.set(copy.id, copy);
  const before = writes(rig);
  const done = await rig.connector.deliveries!.confirm(receivedTwoAndThree(delivery), journal);
  t.equal(done.status, 'completed', 'the receipt this write made, done');
  t.equal(done.ids.shipment, inbound.id);
  t.equal(writes(rig), before, 'nothing written or received again');
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's split stands");
  t.equal(journal.steps.get('received'), 'RECEIVED', 'the receive step is recorded');
});

t.test('its RECEIVED landed, a line deleted since: the retry is done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, ors, journal } = await diedAfter(rig, 'RCPT-LANDED-2', 'received');
  rig.sb.state.invoiceLines.delete(ors.id);
  const before = writes(rig);
  const done = await rig.connector.deliveries!.confirm(receivedTwoAndThree(delivery), journal);
  t.equal(done.status, 'completed');
  t.equal(writes(rig), before, 'nothing written or received again');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'RECEIVED');
});

t.test('received and recorded, VERIFIED lost, a line split in between: the retry verifies it', async (t) => {
  const rig = await startRig({ 'msupply.verifyDeliveries': 'true' });
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin, journal } = await diedAfter(rig, 'RCPT-LANDED-3', 'verified');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'VERIFIED', 'the verification landed');
  rig.sb.state.invoiceLines.set(`${amoxicillin.id}-split`, { ...amoxicillin, id: `${amoxicillin.id}-split` });
  const done = await rig.connector.deliveries!.confirm(receivedTwoAndThree(delivery), journal);
  t.equal(done.status, 'completed');
  t.equal(journal.steps.get('verified'), 'VERIFIED');
});

t.test('received and recorded, a line deleted, VERIFIED not yet sent: the retry verifies it', async (t) => {
  const rig = await startRig({ 'msupply.verifyDeliveries': 'true' });
  t.teardown(() => rig.close());
  const s = await shipped(rig, 'RCPT-LANDED-4');
  const journal = new DyingJournal('verified');
  const err = await failure(rig.connector.deliveries!.confirm(receivedTwoAndThree(s.delivery), journal));
  t.match(String(err?.message), /died before verified/);
  t.equal(rig.sb.state.invoices.get(s.inbound.id)!.status, 'RECEIVED');
  rig.sb.state.invoiceLines.delete(s.ors.id);
  const done = await rig.connector.deliveries!.confirm(receivedTwoAndThree(s.delivery), journal);
  t.equal(done.status, 'completed');
  t.equal(rig.sb.state.invoices.get(s.inbound.id)!.status, 'VERIFIED', 'verified as msupply.verifyDeliveries says');
});

t.test('its RECEIVED refused (verified by hand, a line split): a 409, and a replay is no receipt of it', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin } = await shipped(rig, 'RCPT-LANDED-5');
  let byHand = false;
  const journal: HookedJournal = new HookedJournal((step) => {
    // just before its RECEIVED is sent (the step is looked up at the start of each attempt too)
    if (byHand || step !== 'receive-sent' || !journal.steps.has('delivered')) return;
    byHand = true;
    rig.sb.state.invoiceLines.set(`${amoxicillin.id}-split`, { ...amoxicillin, id: `${amoxicillin.id}-split` });
    rig.sb.state.moveInbound(rig.sb.state.invoices.get(inbound.id)!, 'VERIFIED');
  });
  const err = await failure(rig.connector.deliveries!.confirm(receivedTwoAndThree(delivery), journal));
  t.ok(byHand, 'verified by hand with a line split, then its RECEIVED sent');
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  const replay = await failure(rig.connector.deliveries!.confirm(receivedTwoAndThree(delivery), journal));
  t.equal(replay?.status, 409, `an operator's replay is still a conflict, not done: ${replay?.message}`);
  t.match(String(replay?.message), /it is VERIFIED there with those lines/);
});

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: its RECEIVED applied, the answer lost, a line split: the stored journal's retry is done`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      const { inbound, delivery, amoxicillin } = await shipped(rig, 'RCPT-LANDED-6');
      const id = 'receipt-landed-6';
      await store.recordWrite(newJob(id, { flow: 'delivery', system: 'msupply', idempotencyKey: `delivery|${id}` }));
      rig.sb.faults.add({
        operation: 'updateInboundShipment',
        variablesInclude: '"RECEIVED"',
        action: { type: 'afterApply', answer: 'reset' },
      });
      await failure(
        rig.connector.deliveries!.confirm(receivedTwoAndThree(delivery), new StoreStepJournal(store, { id })),
      );
      rig.sb.faults.clear();
      t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'RECEIVED', 'the receipt landed, its answer lost');
      rig.sb.state.invoiceLines.set(`${amoxicillin.id}-split`, { ...amoxicillin, id: `${amoxicillin.id}-split` });
      const before = writes(rig);
      const journal = new StoreStepJournal(store, { id });
      const done = await rig.connector.deliveries!.confirm(receivedTwoAndThree(delivery), journal);
      t.equal(done.status, 'completed', 'the receipt this write made, done');
      t.equal(writes(rig), before, 'nothing written or received again');
      t.ok((await journal.completedSteps()).includes('received'), 'its receive step recorded in the store');
    },
  );
}
