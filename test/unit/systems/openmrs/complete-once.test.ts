/**
 * A confirmation that finds its transfer completed at its COMPLETE step completed it only if it
 * sent that COMPLETE itself (journaled as `complete-transfer-sent` just before sending, its answer
 * lost); otherwise another delivery or OpenMRS's UI did, and it is refused (409), never answered
 * "completed" a second time. A write journaled before that marker existed (its choice of
 * operation a bare uuid: writes waiting across an upgrade) is taken as having sent it, as before,
 * not refused for the marker it never had. The choice is journaled as a bare uuid, which every
 * release reads, and whether the sending is marked in a step of its own (`find-operation-marks`).
 * A COMPLETE OpenMRS refuses (400) because another instance's landed first is the same 409, not
 * the raw 400. Through the connector and the OpenMRS sandbox.
 */
import t, { type Test } from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { Delivery, Order } from '../../../../src/domain/index.js';
import { MemoryJournal } from '../../../support/memory-journal.js';
import { failure, sandboxConnector } from './rig.js';

const GTIN = 'https://www.gs1.org/gtin';
const order: Order = {
  orderNumber: { system: 'https://app.example.org/orders', value: 'ORD-91' },
  status: 'active',
  priority: 'routine',
  facility: { id: LOC.kilima },
  supplier: { id: LOC.mwangaza },
  authoredOn: '2026-12-01T08:00:00Z',
  lines: [{ product: { system: GTIN, code: '10860012300058' }, quantity: { value: 60, unit: 'dispensing-unit' } }],
};

/**
 * The order shipped: the connector, the dispatched transfer, and the app's confirmation of it
 * under its own number `value`.
 */
async function dispatchedTransfer(t: Test, value: string) {
  const { sb, c } = await sandboxConnector(t);
  const r = await c.orders!.submit(order, new MemoryJournal());
  const transfer = sb.stock.fulfil(r.ids.requisition);
  const [d] = (await c.deliveries!.search({ facility: LOC.kilima, status: 'in-progress' })).items;
  const confirmation: Delivery = {
    ...d,
    id: undefined,
    identifier: { system: 'https://app.example.org/deliveries', value },
    status: 'completed',
    lines: d.lines.map((l) => ({ ...l, quantityAccepted: l.quantityShipped })),
  };
  return { sb, c, uuid: transfer.uuid, confirmation };
}

/**
 * The order shipped, then completed in OpenMRS (its UI, or this write's own COMPLETE whose answer
 * was lost): the connector, the transfer, and the app's confirmation of it under its own number.
 */
async function completedTransfer(t: Test) {
  const shipped = await dispatchedTransfer(t, 'DL-91');
  shipped.sb.stock.act({ name: 'COMPLETE', uuid: shipped.uuid });
  return shipped;
}

t.test('chose the transfer, never sent its COMPLETE, found it completed: refused', async (t) => {
  const { c, uuid, confirmation } = await completedTransfer(t);
  const journal = new MemoryJournal();
  journal.steps.set('find-operation', { uuid, marksSent: true });
  const err = await failure(c.deliveries!.confirm(confirmation, journal));
  t.match(err, {
    status: 409,
    message: /was already completed in OpenMRS, not by a delivery confirmed through the mediator/,
  });
});

t.test('sent its COMPLETE (the answer lost), found it completed: its own completion', async (t) => {
  const { c, uuid, confirmation } = await completedTransfer(t);
  const journal = new MemoryJournal();
  journal.steps.set('find-operation', { uuid, marksSent: true });
  journal.steps.set('complete-transfer-sent', true);
  t.equal((await c.deliveries!.confirm(confirmation, journal)).status, 'completed');
});

t.test('journaled before the marker existed (a bare uuid): taken as sent, not refused', async (t) => {
  const { c, uuid, confirmation } = await completedTransfer(t);
  const journal = new MemoryJournal();
  journal.steps.set('find-operation', uuid);
  t.equal((await c.deliveries!.confirm(confirmation, journal)).status, 'completed');
});

t.test('a first attempt journals its choice as a bare uuid, which a release before reads', async (t) => {
  const { c, uuid, confirmation } = await dispatchedTransfer(t, 'DL-92');
  const journal = new MemoryJournal();
  t.equal((await c.deliveries!.confirm(confirmation, journal)).status, 'completed');
  t.equal(journal.steps.get('find-operation'), uuid);
  t.equal(journal.steps.get('find-operation-marks'), true);
  t.equal(journal.steps.get('complete-transfer-sent'), true);
  const order = [...journal.steps.keys()];
  // a crash between the two steps must never leave a choice on record without its mark (such a
  // write is taken as having sent, and would claim a completion another delivery made)
  t.ok(
    order.indexOf('find-operation-marks') < order.indexOf('find-operation'),
    `the mark journaled before the choice (${order.join(', ')})`,
  );
});

t.test('a bare uuid with its sending marked, never sent, found completed: refused', async (t) => {
  const { c, uuid, confirmation } = await completedTransfer(t);
  const journal = new MemoryJournal();
  journal.steps.set('find-operation', uuid);
  journal.steps.set('find-operation-marks', true);
  const err = await failure(c.deliveries!.confirm(confirmation, journal));
  t.match(err, { status: 409, message: /was already completed in OpenMRS, not by a delivery confirmed/ });
});

t.test('another instance completes the transfer just before this COMPLETE lands: 409, not a raw 400', async (t) => {
  const { sb, c, uuid, confirmation } = await dispatchedTransfer(t, 'DL-93');
  // the other instance's COMPLETE reaches OpenMRS between this write's read and its own COMPLETE
  const act = sb.stock.act.bind(sb.stock);
  let raced = false;
  sb.stock.act = (body, seeding) => {
    if (!raced && body?.name === 'COMPLETE') {
      raced = true;
      act({ name: 'COMPLETE', uuid });
    }
    return act(body, seeding);
  };
  const err = await failure(c.deliveries!.confirm(confirmation, new MemoryJournal()));
  t.ok(raced);
  t.match(err, { status: 409, message: /was already completed in OpenMRS, not by a delivery confirmed/ });
});

t.test("an earlier attempt's COMPLETE lands just before this attempt's: its own completion", async (t) => {
  const { sb, c, uuid, confirmation } = await dispatchedTransfer(t, 'DL-94');
  // attempt 1 marked and sent its COMPLETE and timed out on our side; OpenMRS applies it late,
  // between attempt 2's read (still dispatched) and attempt 2's own COMPLETE (refused, 400)
  const journal = new MemoryJournal();
  journal.steps.set('find-operation', uuid);
  journal.steps.set('find-operation-marks', true);
  journal.steps.set('complete-transfer-sent', true);
  const act = sb.stock.act.bind(sb.stock);
  let late = false;
  sb.stock.act = (body, seeding) => {
    if (!late && body?.name === 'COMPLETE') {
      late = true;
      act({ name: 'COMPLETE', uuid });
    }
    return act(body, seeding);
  };
  const done = await c.deliveries!.confirm(confirmation, journal);
  t.ok(late, 'the earlier COMPLETE landed first');
  t.match(done, { status: 'completed' }, 'taken as this write\'s own completion, not "completed in OpenMRS"');
});
