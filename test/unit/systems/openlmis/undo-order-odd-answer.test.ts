/**
 * A requisition-less order is sent after reading its draft (CREATING), and a send OpenLMIS refuses
 * is undone: the draft is read again, then deleted. Found by review (session 34's "Left", api.ts
 * probeOrder, then HB's audit of readOrder): both reads took any 2xx as the order. Before the
 * send, a gateway's JSON page (`{"message": …}`) read as an order with no status, so the order,
 * never sent, was reported ORDERED; in the undo, a 204 crashed it on the missing body and a JSON
 * page read as an order "undefined" that "cannot be undone", so the client was told the draft
 * stays in OpenLMIS, and it stayed. Now an answer without the order's id is held (transient) and
 * the retry resumes where it stopped. Connector + sandbox.
 */
import t from 'tap';
import { isTransient } from '../../../../src/domain/index.js';
import { failure } from './client-harness.js';
import { MemoryJournal, line, order, startFlowHarness, type FlowHarness } from './orders-harness.js';

const NO_CONTENT = { type: 'status', status: 204, body: '' } as const;
const GATEWAY_PAGE = { type: 'status', status: 200, body: { message: 'Service under maintenance' } } as const;

const packsOrder = (h: FlowHarness) =>
  order(h, 'LK-WH-302', [line(h, 'EM-ORS', 6, 'pack')], {
    supplier: { identifier: h.facility('LK-WH-301').identifier },
  });

t.test("the draft's read before the send answered by a JSON page: held, never reported sent", async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const odd = h.sb.faults.add({ method: 'GET', path: '/api/orders/*', action: GATEWAY_PAGE });
  const o = packsOrder(h);
  const journal = new MemoryJournal();
  const held = await failure(h.orders.submit(o, journal));
  t.ok(isTransient(held), `held: ${held.message}`);
  t.match(held.message, /JSON without 'id'/);
  t.notMatch(held.message, /maintenance/, 'the page is not quoted');
  const [draft] = [...h.sb.state.store.orders.values()];
  t.equal(draft.status, 'CREATING', 'not sent');

  h.sb.faults.remove(odd.id);
  const done = await h.orders.submit(o, journal);
  t.same(done.ids, { order: draft.id }, 'the same draft, sent');
  t.equal(h.sb.state.store.orders.get(draft.id)!.status, 'ORDERED');
});

for (const [answer, action] of [
  ['204', NO_CONTENT],
  ['a JSON page', GATEWAY_PAGE],
] as const) {
  t.test(`the undo's read of the draft answered ${answer}: held, then the draft is deleted`, async (t) => {
    const h = await startFlowHarness();
    t.teardown(h.close);
    h.sb.faults.add({
      method: 'PUT',
      path: '/api/orders/*/requisitionLess/send',
      times: 1,
      action: { type: 'status', status: 400, body: { messageKey: 'fulfillment.error.order.send', message: 'refused' } },
    });
    // the send's refusal is journaled; the delete meets an outage, so the undo is still to do
    const outage = h.sb.faults.add({ method: 'DELETE', path: '/api/orders', action: { type: 'status', status: 503 } });
    const o = packsOrder(h);
    const journal = new MemoryJournal();
    t.ok(isTransient(await failure(h.orders.submit(o, journal))), 'the undo waits for OpenLMIS');
    t.ok(journal.steps.has('send-order'), 'the refusal is journaled');
    h.sb.faults.remove(outage.id);

    const odd = h.sb.faults.add({ method: 'GET', path: '/api/orders/*', action });
    const held = await failure(h.orders.submit(o, journal));
    t.ok(isTransient(held), `held, not a crash nor "kept": ${held.message}`);
    t.notMatch(held.message, /maintenance/, 'the page is not quoted');
    t.equal(h.sb.state.store.orders.size, 1, 'the draft waits for the retry');
    t.notOk(journal.steps.has('undo-create-order'), 'no undo outcome journaled');

    h.sb.faults.remove(odd.id);
    const err = await failure(h.orders.submit(o, journal));
    t.equal(err.status, 422, 'the refusal of the send, as the client hears it');
    t.match(err.message, /requisition-less order .* created for it was deleted again/);
    t.equal(h.sb.state.store.orders.size, 0, 'the CREATING draft was deleted');
  });
}
