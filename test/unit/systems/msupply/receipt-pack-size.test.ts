/**
 * A receipt's line steps journal the packs they set, from the units the facility accepted at the
 * line's pack size then. A storekeeper may change an inbound line's pack size in Open mSupply
 * (its lines are editable until VERIFIED): a retry before RECEIVED sets the line again to the
 * accepted units' packs at the pack size now, so the units received are the ones accepted; a
 * retry finding it RECEIVED with the packs its steps sent is done, not a 409; received by hand
 * with other packs is still one.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { DyingJournal } from '../../../support/dying-journal.js';
import { AMOXICILLIN, shipOrder, startRig, failure } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** Ordered and shipped: 3 packs of 100 amoxicillin (batch B20260), 4 packs of ORS. */
async function shipped(rig: Rig, number: string) {
  const inbound = await shipOrder(rig, number);
  const delivery = (await rig.connector.deliveries!.get(inbound.id))!;
  const amoxicillin = rig.sb.state.invoiceLinesOf(inbound.id).find((l) => l.batch === 'B20260')!;
  return { inbound, delivery, amoxicillin };
}

/** Received: 200 amoxicillin tablets (2 packs of 100 as shipped), ORS as shipped. */
const confirmation = (d: Delivery): Delivery => ({
  ...d,
  status: 'completed',
  lines: d.lines.map((l) => ({
    ...l,
    quantityAccepted:
      l.product.code === AMOXICILLIN ? { value: 200, unit: 'dispensing-unit' } : { ...l.quantityShipped! },
  })),
});

t.test('died before RECEIVED, the pack size changed: the units accepted are received', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin } = await shipped(rig, 'RCPT-PACK-1');
  const journal = new DyingJournal('received');
  t.match(String((await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal)))?.message), /died/);
  t.equal(amoxicillin.numberOfPacks, 2, 'the line step set 2 packs of 100');
  amoxicillin.packSize = 50;
  const done = await rig.connector.deliveries!.confirm(confirmation(delivery), journal);
  t.equal(done.status, 'completed');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'RECEIVED');
  t.equal(amoxicillin.numberOfPacks * amoxicillin.packSize, 200, 'the 200 tablets accepted, not 2 packs of 50');
  const stock = rig.sb.state.stockLines.get(amoxicillin.stockLineId!)!;
  t.equal(stock.totalNumberOfPacks * stock.packSize, 200, 'the stock received holds the 200 tablets');
});

t.test('RECEIVED with its answer lost, the pack size changed since: the retry is done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin } = await shipped(rig, 'RCPT-PACK-2');
  const journal = new DyingJournal('received', 'after');
  t.match(String((await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal)))?.message), /died/);
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'RECEIVED', 'the receipt landed');
  amoxicillin.packSize = 50;
  const done = await rig.connector.deliveries!.confirm(confirmation(delivery), journal);
  t.equal(done.status, 'completed', 'the packs its line steps sent are this write, not a 409');
  t.equal(amoxicillin.numberOfPacks, 2, 'the received line is not written over');
});

t.test('died before RECEIVED, received by hand with other packs: still a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin } = await shipped(rig, 'RCPT-PACK-3');
  const journal = new DyingJournal('received');
  t.match(String((await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal)))?.message), /died/);
  amoxicillin.packSize = 50;
  amoxicillin.numberOfPacks = 1;
  rig.sb.state.moveInbound(rig.sb.state.invoices.get(inbound.id)!, 'RECEIVED');
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.match(String(err?.message), /already received \(RECEIVED\) in Open mSupply with other quantities/);
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's receipt stands");
});
