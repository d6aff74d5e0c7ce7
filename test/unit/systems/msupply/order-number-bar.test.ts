/**
 * An order number is kept in a requisition's comment as `system|value` (requisition-codec.ts
 * orderComment) and read back by the first bar: a system (a URI) holds none, an app's order
 * number may. Split at the last bar, `ORD|1` of https://app.example.org/orders read back as value
 * `1` of system `https://app.example.org/orders|ORD`: a search by the number the app posted found
 * nothing, and the lines read back under ids other than the ones the FHIR edge gave them.
 * Through the real connector and the Open mSupply sandbox (its real schema).
 */
import t from 'tap';
import { orderLineId } from '../../../../src/domain/line-ids.js';
import { AMOXICILLIN, MemoryJournal, ORDER_SYSTEM, order, startRig } from './harness.js';

t.test('an order number holding | reads back whole, by id and by a search for it', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const o = order('ORD|1', [{ gtin: AMOXICILLIN, qty: 3, packs: true }]);
  const result = await rig.connector.orders!.submit(o, new MemoryJournal());
  const id = result.ids.requisition;
  const read = await rig.connector.orders!.get(id);
  t.same(read!.orderNumber, { system: ORDER_SYSTEM, value: 'ORD|1' }, 'by id');
  t.same(
    read!.lines.map((l) => l.lineId),
    [orderLineId({ system: ORDER_SYSTEM, value: 'ORD|1' }, read!.lines[0].product)],
    'its lines under the ids the order number gives them',
  );
  const found = await rig.connector.orders!.search({ identifier: { system: ORDER_SYSTEM, value: 'ORD|1' } });
  t.same(
    found.items.map((x) => [x.id, x.orderNumber.value]),
    [[id, 'ORD|1']],
    'a search by the number posted finds it',
  );
});
