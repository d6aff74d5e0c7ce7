/**
 * An order changed while its request requisition is still a DRAFT (its first write stopped before
 * the send: given up mid-way, so routing delivers the change over it). The change is finished as
 * the first write would have been, with the changed lines: a line the change dropped must not stay
 * in the requisition, or the supplier is sent an item the facility took off its order. Open
 * mSupply deletes a request line only while its requisition is DRAFT (deleteRequestRequisitionLine,
 * server/service/src/requisition_line/request_requisition_line/delete.rs in
 * msupply-foundation/open-msupply).
 */
import t from 'tap';
import { AMOXICILLIN, MemoryJournal, PARACETAMOL, failure, order, startRig } from './harness.js';

t.test('a line dropped by a change to a DRAFT order is deleted before the send', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // the first write stops before its send (the send answered "Internal error", then given up)
  rig.sb.faults.add({
    operation: 'updateRequestRequisition',
    action: { type: 'graphqlError', message: 'Internal error' },
  });
  const first = order('AMEND-1', [
    { gtin: AMOXICILLIN, qty: 300 },
    { gtin: PARACETAMOL, qty: 500 },
  ]);
  await failure(rig.connector.orders!.submit(first, new MemoryJournal()));
  const [draft] = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  t.equal(draft.status, 'DRAFT', 'a DRAFT with both lines');
  t.equal(rig.sb.state.linesOf(draft.id).length, 2);
  rig.sb.faults.clear();

  const changed = order('AMEND-1', [{ gtin: AMOXICILLIN, qty: 200 }]);
  await rig.connector.orders!.amend!(changed, new MemoryJournal());
  const requests = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  t.equal(requests.length, 1, 'the same requisition');
  t.equal(requests[0].status, 'SENT');
  t.same(
    rig.sb.state.linesOf(requests[0].id).map((l) => [rig.sb.state.items.get(l.itemId)!.code, l.requestedQuantity]),
    [['AMX250T', 200]],
    'only the changed order’s line, with its quantity: the dropped item is not requested',
  );
});
