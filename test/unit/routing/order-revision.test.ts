/**
 * Which revision of its order an update is (routing/order-revision.ts): the same content keeps
 * its revision (a duplicate), a change is the next one, a POST is never an amendment, and changes
 * that cannot be revisions are refused with what forbids them.
 */
import t from 'tap';
import type { Order } from '../../../src/domain/index.js';
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
    { status: 409, message: /still being delivered to openlmis/ },
    'an earlier write still queued',
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
