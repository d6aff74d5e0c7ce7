/**
 * A receipt that stopped between its line steps and RECEIVED, a storekeeper counting a line in
 * Open mSupply meanwhile (its packs set to what they found: lines are editable until VERIFIED).
 * Their count came after this write's: the retry neither writes it over (stock received that they
 * say is not there) nor receives it as this confirmation (told done with other quantities). It is
 * a 409 naming the line, nothing written, the shipment left for them to receive. A line whose
 * pack size alone changed still holds this write's packs, and is set to the accepted units.
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
  const journal = new DyingJournal('received');
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(s.delivery), journal));
  if (!/died/.test(String(err?.message))) throw err;
  return { ...s, journal };
}

t.test('a line counted by a storekeeper since its step: a 409, not written over, not received', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin, journal } = await stoppedBeforeReceived(rig, 'RCPT-COUNTED-1');
  t.equal(amoxicillin.numberOfPacks, 2, 'the line step set 2 packs of 100');
  amoxicillin.numberOfPacks = 1;
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.match(String(err?.message), /B20260.*1 packs? of 100.*not the 2/);
  t.same(err?.issues?.[0]?.expression, ['Delivery.lines[0].quantityAccepted']);
  t.equal(amoxicillin.numberOfPacks, 1, "the storekeeper's count stands");
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'DELIVERED', 'nothing received');
});

t.test('another line counted since: the pack size change is not set either', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin, ors, journal } = await stoppedBeforeReceived(rig, 'RCPT-COUNTED-2');
  t.equal(ors.numberOfPacks, 3, 'the line step set 3 packs of ORS');
  amoxicillin.packSize = 50;
  ors.numberOfPacks = 4;
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.equal(amoxicillin.numberOfPacks, 2, 'nothing written: the other line keeps its packs');
  t.equal(ors.numberOfPacks, 4, "the storekeeper's count stands");
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'DELIVERED', 'nothing received');
});

t.test('pack size and count both changed since: a 409', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin, journal } = await stoppedBeforeReceived(rig, 'RCPT-COUNTED-3');
  amoxicillin.packSize = 50;
  amoxicillin.numberOfPacks = 3;
  const err = await failure(rig.connector.deliveries!.confirm(confirmation(delivery), journal));
  t.equal(err?.status, 409, `a conflict: ${err?.message}`);
  t.equal(amoxicillin.numberOfPacks, 3, "the storekeeper's count stands");
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'DELIVERED', 'nothing received');
});

t.test('nothing changed since: the retry receives this confirmation', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { inbound, delivery, amoxicillin, ors, journal } = await stoppedBeforeReceived(rig, 'RCPT-COUNTED-4');
  const done = await rig.connector.deliveries!.confirm(confirmation(delivery), journal);
  t.equal(done.status, 'completed');
  t.equal(rig.sb.state.invoices.get(inbound.id)!.status, 'RECEIVED');
  t.equal(amoxicillin.numberOfPacks, 2);
  t.equal(ors.numberOfPacks, 3);
});
