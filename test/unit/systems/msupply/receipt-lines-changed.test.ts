/**
 * A receipt accepted (its precheck found one shipment line for each delivery line) whose line a
 * storekeeper then split or deleted in Open mSupply (lines are editable until VERIFIED), before
 * the retry after a stop between its line steps and RECEIVED, or before its first attempt. The
 * delivery was right when accepted: a 409 naming the line, not a 422 (the client's fault),
 * nothing received and nothing more written; which packs to receive is the storekeeper's now. Its
 * text says lines an earlier attempt set keep those packs, and "nothing written" only when no
 * attempt began before.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import { DyingJournal } from '../../../support/dying-journal.js';
import { MemoryJournal } from '../../../support/memory-journal.js';
import { AMOXICILLIN, shipOrder, startRig, failure } from './harness.js';

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

/** Received: 200 amoxicillin tablets (2 packs of 100), 3 packs of ORS. */
const confirmation = (d: Delivery): Delivery => ({
  ...d,
  status: 'completed',
  lines: d.lines.map((l) => ({
    ...l,
    quantityAccepted:
      l.product.code === AMOXICILLIN ? { value: 200, unit: 'dispensing-unit' } : { value: 3, unit: 'pack' },
  })),
});

/** The confirmation's line steps landed and it died before RECEIVED. */
async function stoppedBeforeReceived(rig: Rig, number: string) {
  const s = await shipped(rig, number);
  await rig.connector.deliveries!.precheck!(confirmation(s.delivery));
  const journal = new DyingJournal('received');
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(s.delivery), journal));
  if (!/died/.test(String(err?.message))) throw err;
  return { ...s, journal };
}

/** A storekeeper splits a line in two: one pack moved onto a new line of the same batch. */
function split(rig: Rig, line: ReturnType<Rig['sb']['state']['invoiceLinesOf']>[number]) {
  const copy = { ...line, id: `${line.id}-split`, numberOfPacks: 1 };
  line.numberOfPacks -= 1;
  rig.sb.state.invoiceLines.set(copy.id, copy);
  return copy;
}

t.test(
  'a line split since its step: the retry is a 409 naming it, nothing more written, nothing received',
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const { inbound, delivery, amoxicillin, ors, journal } = await stoppedBeforeReceived(rig, 'RCPT-SPLIT-1');
    t.equal(amoxicillin.numberOfPacks, 2, 'the line step set 2 packs of 100');
    const other = split(rig, amoxicillin);
    const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal));
    t.equal(err?.status, 409, `a conflict, not the client's fault: ${err?.message}`);
    t.match(String(err?.message), /has 2 lines for item \S+ batch B20260 .*one when this delivery was accepted.*split/);
    t.match(String(err?.message), /nothing was received, no more is written/);
    t.match(String(err?.message), /any line an attempt of this confirmation set keeps the packs it set/);
    t.notMatch(String(err?.message), /nothing was received or written/, 'never "nothing written": its lines were');
    t.same(err?.issues?.[0]?.expression, ['Delivery.lines[0].product']);
    t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's split stands");
    t.equal(other.numberOfPacks, 1);
    t.equal(ors.numberOfPacks, 3, 'the other line keeps its step');
    t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'DELIVERED', 'nothing received');
  },
);

t.test(
  'a line split between its step and RECEIVED in one attempt: the 409 never says nothing was written',
  async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    const { inbound, delivery, amoxicillin, ors } = await shipped(rig, 'RCPT-SPLIT-5');
    await rig.connector.deliveries!.precheck!(confirmation(delivery));
    const inner = new MemoryJournal();
    // the storekeeper splits the line once this attempt's line steps are done, before its RECEIVED
    const journal: StepJournal = {
      idempotencyKey: inner.idempotencyKey,
      async run(step, action) {
        if (step === 'received' && !inner.steps.has(step)) split(rig, amoxicillin);
        return inner.run(step, action);
      },
    };
    const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal));
    t.equal(err?.status, 409, `a conflict: ${err?.message}`);
    t.match(String(err?.message), /has 2 lines for item \S+ batch B20260 .*split/);
    t.equal(ors.numberOfPacks, 3, 'this attempt set a line');
    t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'DELIVERED', 'and the shipment DELIVERED');
    t.notMatch(String(err?.message), /nothing was received or written/, 'so never "nothing written"');
    t.match(String(err?.message), /nothing was received, no more is written/);
  },
);

t.test('a line deleted since its step: the retry is a 409 naming it, nothing received', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, ors, journal } = await stoppedBeforeReceived(rig, 'RCPT-SPLIT-2');
  rig.sb.state.invoiceLines.delete(ors.id);
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal));
  t.equal(err?.status, 409, `a conflict, not the client's fault: ${err?.message}`);
  t.match(String(err?.message), /has no line for item \S+ batch B20262 .*deleted there since/);
  t.same(err?.issues?.[0]?.expression, ['Delivery.lines[1].product']);
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'DELIVERED', 'nothing received');
});

t.test('a line deleted after acceptance, before the first attempt: a 409, nothing sent', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin } = await shipped(rig, 'RCPT-SPLIT-3');
  await rig.connector.deliveries!.precheck!(confirmation(delivery));
  rig.sb.state.invoiceLines.delete(amoxicillin.id);
  const before = rig.sb.state.applied.length;
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), new MemoryJournal()));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.same(err?.issues?.[0]?.expression, ['Delivery.lines[0].product']);
  t.match(String(err?.message), /nothing was received or written/);
  t.equal(rig.sb.state.applied.length, before, 'nothing sent to Open mSupply');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'SHIPPED', 'nothing received');
});

t.test('received by hand with a line split: a 409 that says so, not this receipt done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin, journal } = await stoppedBeforeReceived(rig, 'RCPT-SPLIT-4');
  split(rig, amoxicillin);
  rig.sb.state.invoices.get(inbound.id)!.status = 'RECEIVED';
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.match(String(err?.message), /it is RECEIVED there with those lines, and this confirmation is not applied/);
});
