/**
 * Two overlapping attempts of one receipt (the outbox handed the job to a second attempt when the
 * first's lease lapsed, the first still running): both found no try journaled when they began.
 * The first records its mark and sends RECEIVED, which lands with its answer lost; the second,
 * sending its own RECEIVED meanwhile, is refused. Each try's number is taken by recording its
 * mark (claimReceiveTry), so the second's refusal is journaled under its own number, never over
 * the first's landed try; a storekeeper then edits a line, and the retry is done (its own receipt),
 * not a 409. Before, both took try 1 and the refusal marked the landed RECEIVED refused.
 */
import t, { type Test } from 'tap';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import type { Store } from '../../../../src/store/types.js';
import { failure, receivedAnswerLost, receivedTwoAndThree, shipOrder, startRig } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** `inner`, held before its 'delivered' step until `go` settles: an attempt paused after it read its tries. */
function heldAtDelivered(inner: StepJournal, go: Promise<unknown>): StepJournal {
  return {
    idempotencyKey: inner.idempotencyKey,
    async run(step, action) {
      if (step === 'delivered') await go;
      return inner.run(step, action);
    },
  };
}

/** `inner`, running `meanwhile` once its 'receive-sent' mark is recorded, before its RECEIVED goes out. */
function meanwhileAfterMark(inner: StepJournal, meanwhile: () => Promise<void>): StepJournal {
  let ran = false;
  return {
    idempotencyKey: inner.idempotencyKey,
    async run(step, action) {
      const result = await inner.run(step, action);
      if (step === 'receive-sent' && !ran) {
        ran = true;
        await meanwhile();
      }
      return result;
    },
  };
}

async function overlapping(t: Test, rig: Rig, store: Store, id: string, number: string) {
  await store.recordWrite(newJob(id, { flow: 'delivery', system: 'msupply', idempotencyKey: `delivery|${id}` }));
  const journal = () => new StoreStepJournal(store, { id });
  const inbound = await shipOrder(rig, number);
  const delivery = receivedTwoAndThree((await rig.connector.deliveries!.get(inbound.id))!);
  let go!: () => void;
  const released = new Promise<void>((resolve) => (go = resolve));
  // the stale attempt: it has read its tries (none) and waits before its first step
  const stale = failure(rig.connector.deliveries!.confirm(delivery, heldAtDelivered(journal(), released)));
  let staleErr: Awaited<typeof stale>;
  const first = meanwhileAfterMark(journal(), async () => {
    // the other attempt runs on now, its RECEIVED refused; then the first's lands, its answer lost
    rig.sb.faults.add({
      operation: 'updateInboundShipment',
      variablesInclude: '"RECEIVED"',
      action: { type: 'graphqlError', message: 'Forbidden' },
      times: 1,
    });
    go();
    staleErr = await stale;
    rig.sb.faults.add(receivedAnswerLost());
  });
  const lost = await failure(rig.connector.deliveries!.confirm(delivery, first));
  t.ok(staleErr, `the overlapping attempt's RECEIVED refused: ${staleErr?.message}`);
  t.equal(lost?.neverSent, false, `the first attempt's RECEIVED may have been sent: ${lost?.message}`);
  const shipment = rig.sb.state.invoices.get(inbound.id)!;
  t.equal(shipment.status, 'RECEIVED', "the first attempt's RECEIVED landed");
  const amoxicillin = rig.sb.state.invoiceLinesOf(inbound.id).find((l) => l.batch === 'B20260')!;
  amoxicillin.numberOfPacks = 1;
  const retry = await rig.connector.deliveries!.confirm(delivery, journal());
  t.equal(retry.ids.shipment, inbound.id, 'done: its own receipt, the other attempt refused notwithstanding');
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's edit stands");
  const steps = (await store.listSteps(id)).map((s) => s.step);
  t.ok(steps.includes('receive-sent') && steps.includes('receive-sent-2'), 'two tries, each under its own number');
  t.notOk(steps.includes('receive-refused'), 'the landed try is not marked refused');
  t.ok(steps.includes('receive-refused-2'), 'the refused one is, under its own number');
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: two overlapping attempts, one refused, the other landed unanswered: the retry is done`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      await overlapping(t, rig, store, 'receipt-overlapping-1', 'RCPT-OVERLAP-1');
    },
  );
}
