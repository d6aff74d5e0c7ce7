/**
 * Which revision of its order an update is (routing/order-revision.ts): the same content keeps
 * its revision (a duplicate), a change is the next one, a POST is never an amendment, and changes
 * that cannot be revisions are refused with what forbids them.
 */
import t from 'tap';
import type { Order, OrderLine } from '../../../src/domain/index.js';
import { orderRevision, type WrittenOrder } from '../../../src/routing/order-revision.js';
import { ORDERS } from '../../../src/routing/flows.js';

const order = (qty: number, extra: Partial<Order> = {}): Order => ({
  orderNumber: { system: 'https://mobile.example.org/orders', value: 'R-1' },
  status: 'active',
  priority: 'routine',
  facility: { id: 'fac-1' },
  program: 'EM01',
  lines: [{ lineId: 'l1', product: { system: 'gtin', code: '1' }, quantity: { value: qty, unit: 'pack' } }],
  ...extra,
});
const done = (value: Order): WrittenOrder => ({ value, status: 'done', system: 'openlmis' });
const update = (current?: Order) => ({ mode: 'update' as const, current: { value: current } });

t.test('revisions', async (t) => {
  t.equal(orderRevision(order(5), { mode: 'create' }, done(order(1))).revision, undefined, 'a POST is a new order');
  t.equal(orderRevision(order(5), update(), undefined).revision, undefined, 'a first PUT creates');
  t.equal(orderRevision(order(1), update(order(1)), done(order(1))).revision, undefined, 'resent: the first write');
  const first = orderRevision(order(5), update(order(1)), done(order(1)));
  t.equal(first.revision, 1, 'a change is revision 1');
  t.equal(ORDERS.key(first), 'order|https://mobile.example.org/orders|R-1|rev:1');
  t.equal(ORDERS.key(order(1)), 'order|https://mobile.example.org/orders|R-1', 'the first write keeps its key');
  const resent = orderRevision(order(5), update(order(5, { revision: 1 })), done(first));
  t.equal(resent.revision, 1, 'the same change resent keeps its revision');
  const held = orderRevision(order(7), update(order(5, { revision: 4 })), done(first));
  t.equal(held.revision, 5, 'after the highest revision known, upstream or written');
  t.equal(orderRevision(order(9, { status: 'cancelled' }), update(order(5)), done(first)).revision, 2, 'cancel');
});

t.test('refusals', async (t) => {
  t.throws(
    () => orderRevision(order(5), update(order(1)), { ...done(order(1)), status: 'in-flight' }),
    {
      status: 409,
      message:
        'order R-1 was not changed: an earlier change of it is being delivered to openlmis right now, and an order takes its changes one at a time. Nothing of this change was written or queued; send it again once the earlier change is delivered',
    },
    'an earlier write being delivered: which order, what happened, when to send again',
  );
  t.throws(
    () => orderRevision(order(5), update(order(1)), { ...done(order(1)), status: 'pending' }),
    { status: 409, message: /earlier change of it is waiting to be delivered to openlmis \(it is retried/ },
    'an earlier write queued for a retry',
  );
  for (const status of ['pending', 'in-flight'] as const)
    t.throws(
      () => orderRevision(order(5), update(order(1)), { ...done(order(1)), status }),
      {
        message: /^(?!.*(outbox|in-flight|pending))/,
      },
      `no outbox status names (${status})`,
    );
  t.throws(
    () => orderRevision(order(5), update(order(1, { status: 'cancelled' })), done(order(1, { status: 'cancelled' }))),
    { status: 409, message: /is cancelled/ },
  );
  t.throws(() => orderRevision(order(5, { facility: { id: 'fac-2' } }), update(order(1)), done(order(1))), {
    status: 422,
    message: /deliverTo/,
  });
  t.throws(() => orderRevision(order(5, { priority: 'urgent' }), update(order(1)), done(order(1))), {
    status: 422,
    message: /priority/,
  });
  t.equal(
    orderRevision(
      order(5, { priority: 'stat' }),
      update(order(1, { priority: 'urgent' })),
      done(order(1, { priority: 'urgent' })),
    ).revision,
    1,
    'urgent and stat are both an emergency',
  );
});

t.test('a change applied to the read-back is taken in the terms the order was written in', async (t) => {
  const line = (lineId: string, code: string, qty: number): OrderLine => ({
    lineId,
    product: { system: 'gtin', code },
    quantity: { value: qty, unit: 'pack' },
  });
  const asRead = (l: OrderLine, qty = l.quantity.value): OrderLine => ({
    ...l,
    product: { ...l.product, display: `product ${l.product.code}` },
    quantity: { ...l.quantity, value: qty },
    explanation: 'Ordered via FHIR SupplyRequest R-1',
  });
  const written = order(0, { lines: [line('l1', '1', 10), line('l2', '2', 20)] });
  const readBack = (lines: OrderLine[], extra: Partial<Order> = {}): Order => ({
    ...written,
    id: 'req-1',
    facility: { id: 'fac-1', display: 'Facility one' },
    period: { start: '2026-06-01', end: '2026-06-30' },
    source: { system: 'openlmis', id: 'req-1' },
    lines,
    ...extra,
  });
  const current = readBack([asRead(line('l1', '1', 10)), asRead(line('l2', '2', 20))]);

  // a DELETE of line l2 arrives as the read-back without it
  const cancelLine = orderRevision(readBack([asRead(line('l1', '1', 10))]), update(current), done(written));
  t.equal(cancelLine.revision, 1, 'the cancelled line is an amendment');
  t.same(
    { ...cancelLine, revision: undefined },
    { ...order(0, { lines: [line('l1', '1', 10)] }), revision: undefined },
    'in the client’s terms: no display, period, explanation or upstream id',
  );
  const resent = orderRevision(
    order(0, { lines: [line('l1', '1', 10)] }),
    update(readBack([asRead(line('l1', '1', 10))], { revision: 1 })),
    done(cancelLine),
  );
  t.equal(resent.revision, 1, 'the remaining line sent again as the client wrote it: the same write');

  // a PATCH of l1's quantity, applied to the read-back
  const patched = orderRevision(
    readBack([asRead(line('l1', '1', 10), 15), asRead(line('l2', '2', 20))]),
    update(current),
    done(written),
  );
  t.same(patched.lines, [line('l1', '1', 15), line('l2', '2', 20)], 'only the patched quantity differs');

  // someone changed l2 in the system since: a change of l1 keeps the system's l2, it does not undo it
  const editedUpstream = readBack([asRead(line('l1', '1', 10)), asRead(line('l2', '2', 20), 25)]);
  const other = orderRevision(
    readBack([asRead(line('l1', '1', 10), 15), asRead(line('l2', '2', 20), 25)]),
    update(editedUpstream),
    done(written),
  );
  t.same(other.lines[1].quantity, { value: 25, unit: 'pack' }, 'the quantity edited in the system stays');
  t.same(other.lines[1].product, { system: 'gtin', code: '2' }, 'the rest of that line in the client’s terms');
});
