/**
 * Open mSupply deletes a request requisition's lines asking for 0 when it is sent
 * (request_requisition/update/generate.rs empty_lines_to_trim in msupply-foundation/open-msupply,
 * unless the store keeps them by preference). Another attempt of the same write that finds the
 * requisition sent by its twin sees no line for an item this write asks 0 of: that is this write
 * done (the supplier is asked for none either way), never a conflict.
 */
import t from 'tap';
import { AMOXICILLIN, MemoryJournal, ORS, order, startRig } from './harness.js';

t.test('a send trims the lines asking for 0, as Open mSupply does', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await rig.connector.orders!.submit(
    order('ZERO-LINE-1', [
      { gtin: AMOXICILLIN, qty: 300 },
      { gtin: ORS, qty: 0, packs: true },
    ]),
    new MemoryJournal(),
  );
  const [sent] = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  t.equal(sent.status, 'SENT');
  t.same(
    rig.sb.state.linesOf(sent.id).map((l) => l.requestedQuantity),
    [300],
    'the line of 0 is gone',
  );
});

t.test('the same order again after its first write sent it without its line of 0 is done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const same = () =>
    order('ZERO-LINE-2', [
      { gtin: AMOXICILLIN, qty: 300 },
      { gtin: ORS, qty: 0, packs: true },
    ]);
  const first = await rig.connector.orders!.submit(same(), new MemoryJournal());
  // its answer lost after it landed: another attempt, with none of the first one's steps recorded
  const again = await rig.connector.orders!.submit(same(), new MemoryJournal());
  t.same(again.ids, first.ids, 'the same requisition');
  t.equal(again.status, first.status);
  const requests = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  t.equal(requests.length, 1, 'one requisition');
  t.same(
    rig.sb.state.linesOf(requests[0].id).map((l) => l.requestedQuantity),
    [300],
  );
});
