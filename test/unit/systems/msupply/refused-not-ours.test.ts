/**
 * A write Open mSupply refused because someone else moved the record on first: a storekeeper who
 * received the shipment by hand with other counts, finalised the mediator's stocktake before all its
 * lines were in, or another write that sent the request requisition with other quantities. The
 * record is there under the derived id, past the status the write needed, but it does not hold
 * this write: the refusal stands (or is said as a conflict), never reported as the write done.
 * A twin attempt of the same write leaves what this write would have (racing-receipts-counts and
 * racing-attempts tests): that case stays done.
 */
import t from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import { HookedJournal } from '../../../support/hooked-journal.js';
import { AMOXICILLIN, GTIN, MemoryJournal, ORS, failure, order, shippedReceipt, startRig } from './harness.js';

t.test('a receipt: the shipment received by hand with other counts mid-way is a conflict, not done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const receipt = await shippedReceipt(rig, 'BYHAND-DLV-1');
  const inbound = rig.sb.state.invoices.get(receipt.id!)!;
  let byHand = false;
  const journal = new HookedJournal((step) => {
    if (byHand || !step.startsWith('line:')) return;
    byHand = true;
    // the storekeeper counts one pack short on every line and receives it in Open mSupply
    for (const l of rig.sb.state.invoiceLinesOf(inbound.id)) l.numberOfPacks -= 1;
    rig.sb.state.moveInbound(inbound, 'RECEIVED');
  });
  const err = await failure(rig.connector.deliveries!.confirm(receipt, journal));
  t.ok(byHand, 'received by hand between the mediator’s steps');
  t.match(String(err?.message), /already received .* with other quantities/, `said as such: ${err?.message}`);
  // Open mSupply takes line edits on a RECEIVED shipment (until VERIFIED): one sent would have
  // overwritten the storekeeper's counts and the stock they received
  t.notOk(
    rig.sb.calls.some((c) => c.operation === 'updateInboundShipmentLine'),
    'no line update sent over the received counts',
  );
  t.same(
    rig.sb.state
      .invoiceLinesOf(inbound.id)
      .map((l) => rig.sb.state.stockLines.get(l.stockLineId!)?.totalNumberOfPacks)
      .sort(),
    receipt.lines.map((l) => l.quantityAccepted!.value - 1).sort(),
    'the store holds what the storekeeper received',
  );
});

t.test('a receipt received by hand with the same counts mid-way is done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const receipt = await shippedReceipt(rig, 'BYHAND-DLV-1');
  const inbound = rig.sb.state.invoices.get(receipt.id!)!;
  let byHand = false;
  const journal = new HookedJournal((step) => {
    if (byHand || !step.startsWith('line:')) return;
    byHand = true;
    rig.sb.state.moveInbound(inbound, 'RECEIVED');
  });
  const done = await rig.connector.deliveries!.confirm(receipt, journal);
  t.ok(byHand);
  t.equal(done.status, 'completed', 'what Open mSupply holds is this receipt');
});

t.test('a receipt received by hand with other counts just before its own receive is a conflict', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const receipt = await shippedReceipt(rig, 'BYHAND-DLV-1');
  const inbound = rig.sb.state.invoices.get(receipt.id!)!;
  let byHand = false;
  const journal = new HookedJournal((step) => {
    if (step !== 'received') return;
    byHand = true;
    const [line] = rig.sb.state.invoiceLinesOf(inbound.id);
    line.numberOfPacks += 1;
    rig.sb.state.moveInbound(inbound, 'RECEIVED');
  });
  const err = await failure(rig.connector.deliveries!.confirm(receipt, journal));
  t.ok(byHand, 'its lines set, then received by hand with one line other');
  t.match(String(err?.message), /already received .* with other quantities/, `said as such: ${err?.message}`);
});

const count: StockReport = {
  identifier: { system: 'https://mobile.example.org/counts', value: 'BYHAND-ADJ-1' },
  status: 'active',
  countType: 'difference',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [
    { product: { system: GTIN, code: AMOXICILLIN }, quantity: { value: -2, unit: 'pack' } },
    { product: { system: GTIN, code: ORS }, quantity: { value: -1, unit: 'pack' } },
  ],
};

t.test('a stock count finalised by hand before its second line went in is not done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  let byHand = false;
  const journal = new HookedJournal((step) => {
    if (step !== 'line:1') return;
    byHand = true;
    const [stocktake] = [...rig.sb.state.stocktakes.values()];
    rig.sb.state.finaliseStocktake(stocktake);
  });
  const err = await failure(rig.connector.stock!.report(count, journal));
  t.ok(byHand, 'finalised by hand with only the first line');
  t.ok(err, `the count is not reported applied: ${err?.message}`);
  const [stocktake] = [...rig.sb.state.stocktakes.values()];
  t.equal(rig.sb.state.stocktakeLinesOf(stocktake.id).length, 1, 'the second line is not in Open mSupply');
});

t.test('a change whose line update is refused because another write sent other quantities is not done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // the first write stops before its send: a DRAFT asking for 300
  rig.sb.faults.add({
    operation: 'updateRequestRequisition',
    action: { type: 'graphqlError', message: 'Internal error' },
  });
  await failure(
    rig.connector.orders!.submit(order('BYHAND-ORD-1', [{ gtin: AMOXICILLIN, qty: 300 }]), new MemoryJournal()),
  );
  rig.sb.faults.clear();
  const [draft] = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  t.equal(draft.status, 'DRAFT');
  // the change's line update is held back; meanwhile the DRAFT is sent as it is (300)
  rig.sb.faults.add({ operation: 'updateRequestRequisitionLine', action: { type: 'delay', ms: 300 }, times: 1 });
  const updates = () => rig.sb.calls.filter((c) => c.operation === 'updateRequestRequisitionLine').length;
  const before = updates();
  const change = rig.connector.orders!.amend!(
    order('BYHAND-ORD-1', [{ gtin: AMOXICILLIN, qty: 200 }]),
    new MemoryJournal(),
  );
  // the change's own update arrived (and waits): only now is the DRAFT sent
  while (updates() === before) await new Promise((r) => setTimeout(r, 5));
  draft.status = 'SENT';
  const err = await failure(change);
  t.ok(err, `the change is not reported applied: ${err?.message}`);
  t.same(
    rig.sb.state.linesOf(draft.id).map((l) => l.requestedQuantity),
    [300],
    'Open mSupply still asks for 300',
  );
});

t.test('a dropped line whose delete is refused because the DRAFT was sent with it is not done', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'updateRequestRequisition',
    action: { type: 'graphqlError', message: 'Internal error' },
  });
  const first = order('BYHAND-ORD-2', [
    { gtin: AMOXICILLIN, qty: 300 },
    { gtin: ORS, qty: 4, packs: true },
  ]);
  await failure(rig.connector.orders!.submit(first, new MemoryJournal()));
  rig.sb.faults.clear();
  const [draft] = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  t.equal(rig.sb.state.linesOf(draft.id).length, 2, 'a DRAFT with both lines');
  // the change drops ORS; its delete is held back while the DRAFT is sent as it is
  rig.sb.faults.add({ operation: 'deleteRequestRequisitionLine', action: { type: 'delay', ms: 300 }, times: 1 });
  const change = rig.connector.orders!.amend!(
    order('BYHAND-ORD-2', [{ gtin: AMOXICILLIN, qty: 300 }]),
    new MemoryJournal(),
  );
  while (!rig.sb.calls.some((c) => c.operation === 'deleteRequestRequisitionLine'))
    await new Promise((r) => setTimeout(r, 5));
  draft.status = 'SENT';
  const err = await failure(change);
  t.ok(err, `the change is not reported applied: ${err?.message}`);
  t.equal(rig.sb.state.linesOf(draft.id).length, 2, 'the supplier was sent the dropped line');
});

t.test('a change that finds its DRAFT sent by another write with other quantities is a conflict', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'updateRequestRequisition',
    action: { type: 'graphqlError', message: 'Internal error' },
  });
  await failure(
    rig.connector.orders!.submit(order('BYHAND-ORD-3', [{ gtin: AMOXICILLIN, qty: 300 }]), new MemoryJournal()),
  );
  rig.sb.faults.clear();
  const [draft] = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  // sent as it is (300) after the change was let in, before its line step
  const journal = new HookedJournal((step) => {
    if (step.startsWith('line:')) draft.status = 'SENT';
  });
  const err = await failure(
    rig.connector.orders!.amend!(order('BYHAND-ORD-3', [{ gtin: AMOXICILLIN, qty: 200 }]), journal),
  );
  t.equal(err?.name, 'ConflictError', `a conflict: ${err?.message}`);
  t.match(String(err?.message), /is SENT in Open mSupply asking 300 .* not the 200 this write sets/);
  t.same(
    rig.sb.state.linesOf(draft.id).map((l) => l.requestedQuantity),
    [300],
    'Open mSupply still asks for 300',
  );
});

t.test('a change whose send is refused because another write sent other quantities is a conflict', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'updateRequestRequisition',
    action: { type: 'graphqlError', message: 'Internal error' },
  });
  await failure(
    rig.connector.orders!.submit(order('BYHAND-ORD-4', [{ gtin: AMOXICILLIN, qty: 300 }]), new MemoryJournal()),
  );
  rig.sb.faults.clear();
  const [draft] = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
  // the change's send is held back; meanwhile the earlier revision's late attempt sets 300 again and sends
  rig.sb.faults.add({ operation: 'updateRequestRequisition', action: { type: 'delay', ms: 300 }, times: 1 });
  const sends = () => rig.sb.calls.filter((c) => c.operation === 'updateRequestRequisition').length;
  const before = sends();
  const change = rig.connector.orders!.amend!(
    order('BYHAND-ORD-4', [{ gtin: AMOXICILLIN, qty: 200 }]),
    new MemoryJournal(),
  );
  while (sends() === before) await new Promise((r) => setTimeout(r, 5));
  t.same(
    rig.sb.state.linesOf(draft.id).map((l) => l.requestedQuantity),
    [200],
    'the change set its quantity',
  );
  for (const l of rig.sb.state.linesOf(draft.id)) l.requestedQuantity = 300;
  draft.status = 'SENT';
  const err = await failure(change);
  t.equal(err?.name, 'ConflictError', `a conflict: ${err?.message}`);
  t.match(
    String(err?.message),
    /SENT in Open mSupply by another write, with lines other than this order's \(AMX250T 300\)/,
  );
});
