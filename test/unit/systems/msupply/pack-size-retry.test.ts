/**
 * An order in packs becomes a request requisition asking units (packs × the item's pack size).
 * Open mSupply may change an item's pack size between an attempt whose send landed (its answer
 * lost) and the retry: the retry compares what Open mSupply holds with the units its line steps
 * set (journaled), not with units recomputed by the new pack size, which read the order's own
 * send as another write's (a false 409).
 */
import t from 'tap';
import { MemoryJournal, ORS, failure, order, startRig } from './harness.js';

t.test('a pack size changed after a landed send: the retry finds its own order sent', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const journal = new MemoryJournal();
  const written = order('PACKSIZE-1', [{ gtin: ORS, qty: 4, packs: true }]);
  // the send is applied, its answer lost
  rig.sb.faults.add({ operation: 'updateRequestRequisition', action: { type: 'afterApply', answer: 'reset' } });
  await failure(rig.connector.orders!.submit(written, journal));
  const request = [...rig.sb.state.requisitions.values()].find(
    (r) => r.type === 'REQUEST' && r.theirReference === 'PACKSIZE-1',
  )!;
  t.equal(request.status, 'SENT', 'the first attempt sent it');
  const ors = [...rig.sb.state.items.values()].find((i) => i.code === 'ORS205S')!;
  t.equal(ors.defaultPackSize, 50, '4 packs of 50 were asked as 200 sachets');
  ors.defaultPackSize = 70;
  const done = await rig.connector.orders!.submit(written, journal);
  t.equal(done.status, 'active', 'the retry reports its own send, not a conflict');
  t.same(
    [...rig.sb.state.requisitionLines.values()]
      .filter((l) => l.requisitionId === request.id)
      .map((l) => l.requestedQuantity),
    [200],
    'the supplier is asked what was sent, once',
  );
});
