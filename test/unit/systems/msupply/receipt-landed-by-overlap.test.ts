/**
 * A stale attempt of a receipt (its lease lapsed, another attempt given the job) past its line
 * steps when the other attempt's RECEIVED lands; a storekeeper then edits a line. The stale
 * attempt's journal read its tries before the other recorded its mark, so it did not know a try
 * was sent: it took the received shipment, other packs now on a line, for a storekeeper's receipt
 * and answered a 409 for this write's own receipt. It now looks whether a try was taken since
 * (triedMeanwhile), and one was: done.
 */
import t, { type Test } from 'tap';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import type { Store } from '../../../../src/store/types.js';
import { failure, receivedTwoAndThree, shipOrder, startRig } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** `inner`, telling `reached` and held until `go` settles before its 'received' step. */
function heldAtReceived(inner: StepJournal, reached: () => void, go: Promise<unknown>): StepJournal {
  return {
    idempotencyKey: inner.idempotencyKey,
    async run(step, action) {
      if (step === 'received') {
        reached();
        await go;
      }
      return inner.run(step, action);
    },
  };
}

async function landedByOverlap(t: Test, rig: Rig, store: Store, id: string, number: string) {
  await store.recordWrite(newJob(id, { flow: 'delivery', system: 'msupply', idempotencyKey: `delivery|${id}` }));
  const journal = () => new StoreStepJournal(store, { id });
  const inbound = await shipOrder(rig, number);
  const delivery = receivedTwoAndThree((await rig.connector.deliveries!.get(inbound.id))!);
  let go!: () => void;
  const released = new Promise<void>((resolve) => (go = resolve));
  let reached!: () => void;
  const atReceived = new Promise<void>((resolve) => (reached = resolve));
  // the stale attempt: past its line steps, its tries read (none), held before its RECEIVED
  const stale = rig.connector.deliveries!.confirm(delivery, heldAtReceived(journal(), reached, released)).then(
    (r) => r,
    (e: unknown) => e as Error,
  );
  await atReceived;
  // the attempt given the job meanwhile: its RECEIVED lands
  const other = await rig.connector.deliveries!.confirm(delivery, journal());
  t.equal(other.ids.shipment, inbound.id, 'the other attempt received the shipment');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'RECEIVED');
  // a storekeeper edits a line of the received shipment (lines are editable until VERIFIED)
  const amoxicillin = rig.sb.state.invoiceLinesOf(inbound.id).find((l) => l.batch === 'B20260')!;
  amoxicillin.numberOfPacks = 1;
  go();
  const result = await stale;
  t.notOk(result instanceof Error, `the stale attempt is done, its own receipt: ${(result as Error)?.message ?? ''}`);
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's edit stands");
  const steps = (await store.listSteps(id)).map((s) => s.step);
  t.notOk(steps.includes('receive-refused'), 'the landed try is not marked refused');
  // the look leaves no try that may have landed: a later attempt still knows try 1 is the one
  const again = await rig.connector.deliveries!.confirm(delivery, journal());
  t.equal(again.ids.shipment, inbound.id, 'a retry is done too');
}

/** No other attempt: a storekeeper receives it by hand, other packs, while the attempt is held. */
async function receivedByHand(t: Test, rig: Rig, store: Store, id: string, number: string) {
  await store.recordWrite(newJob(id, { flow: 'delivery', system: 'msupply', idempotencyKey: `delivery|${id}` }));
  const journal = () => new StoreStepJournal(store, { id });
  const inbound = await shipOrder(rig, number);
  const delivery = receivedTwoAndThree((await rig.connector.deliveries!.get(inbound.id))!);
  let go!: () => void;
  const released = new Promise<void>((resolve) => (go = resolve));
  let reached!: () => void;
  const atReceived = new Promise<void>((resolve) => (reached = resolve));
  const held = failure(rig.connector.deliveries!.confirm(delivery, heldAtReceived(journal(), reached, released)));
  await atReceived;
  rig.sb.state.invoiceLinesOf(inbound.id).find((l) => l.batch === 'B20260')!.numberOfPacks = 1;
  rig.sb.state.invoices.get(inbound.id)!.status = 'RECEIVED';
  go();
  const err = await held;
  t.equal(err?.status, 409, `received by hand with other packs: a conflict: ${err?.message}`);
  // its look took no try: a retry still finds none sent, so still a conflict, never done
  const retry = await failure(rig.connector.deliveries!.confirm(delivery, journal()));
  t.equal(retry?.status, 409, `the retry too: ${retry?.message}`);
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a stale attempt past its lines when the other's RECEIVED lands, a line edited: done`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      await landedByOverlap(t, rig, store, 'receipt-landed-overlap-1', 'RCPT-LANDED-OVERLAP-1');
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: received by hand with other packs while held, no other attempt: still a 409`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const rig = await startRig();
      t.teardown(() => rig.close());
      await receivedByHand(t, rig, store, 'receipt-by-hand-1', 'RCPT-BY-HAND-1');
    },
  );
}
