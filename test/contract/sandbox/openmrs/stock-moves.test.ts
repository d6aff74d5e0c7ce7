/**
 * The OpenMRS sandbox moves stock when the stock management module does
 * (openmrs/openmrs-module-stockmanagement @ cf559b4: the *OperationTypeProcessor classes and
 * StockManagementServiceImpl.processStockOperationAction):
 * - an adjustment, stock take or transfer out leaves the source at SUBMIT (onPending). Its ledger
 *   row is dated then, and the inventory shows it before anyone approves;
 * - APPROVE only clears the reservations for an adjustment. For a transfer it puts the stock into
 *   the destination, and for a receipt it is the only move;
 * - RETURN, REJECT and CANCEL of a submitted operation write the stock back (onCancelled), and a
 *   stock issue RETURNed after DISPATCH goes back to its source.
 */
import t, { type Test } from 'tap';
import { DRUGS, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import { batchUuidOf, CENTRAL_STORE_PARTY, REASONS } from '../../../../sandbox/openmrs/stock.js';

const MWANGAZA = 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281';
const KILIMA = 'e5d4c3b2-0003-4a1b-8c2d-3e4f50617283';

async function rig(t: Test) {
  const sb = await startOpenMrsSandbox();
  t.teardown(() => sb.close());
  const stock = sb.stock;
  const admin = [...sb.store.users.values()][0];
  const item = [...stock.items.values()].find((i) => i.drugUuid === DRUGS.paracetamol)!.uuid;
  const line = (quantity: number, batchNo = 'PCM-2401') => ({
    stockItemUuid: item,
    stockBatchUuid: batchUuidOf(item, batchNo),
    batchNo,
    quantity,
  });
  const create = (type: string, quantity: number, extra: Record<string, unknown> = {}) =>
    stock.create(
      {
        operationTypeUuid: stock.typeUuid(type as never),
        sourceUuid: MWANGAZA,
        operationDate: '2026-12-01T08:00:00.000+0000',
        reasonUuid: REASONS.damaged,
        stockOperationItems: [line(quantity)],
        ...extra,
      },
      admin,
    );
  const act = (uuid: string, name: string) => stock.act({ uuid, name, reason: 'test' });
  const held = (party = MWANGAZA) => stock.quantity(party, item, 'PCM-2401');
  /** What `stockiteminventory` answers for the batch at a party. */
  const shown = (party = MWANGAZA) =>
    stock.inventory({ partyUuid: party, stockItemUuid: item }).find((r) => r.batchNumber === 'PCM-2401')?.quantity ?? 0;
  const ledger = (uuid: string) => stock.transactions.search({ stockOperationUuid: uuid }).reverse();
  return { sb, stock, create, act, held, shown, ledger };
}

t.test('an adjustment moves the stock at SUBMIT; APPROVE writes nothing more', async (t) => {
  const { sb, create, act, held, shown, ledger } = await rig(t);
  const op = create('adjustment', -40);
  sb.store.clockOffsetMs = 0;
  t.equal(held(), 2000, 'a NEW operation holds nothing back');
  const submitAt = Date.now();
  act(op.uuid, 'SUBMIT');
  t.equal(shown(), 1960, 'stockiteminventory shows it between SUBMIT and APPROVE');
  t.same(
    ledger(op.uuid).map((r) => [r.partyUuid, r.quantity]),
    [[MWANGAZA, -40]],
    'one ledger row at the source',
  );
  t.ok(ledger(op.uuid)[0].dateCreated >= submitAt, 'dated at SUBMIT');
  sb.store.clockOffsetMs = 86_400_000;
  act(op.uuid, 'APPROVE');
  t.equal(held(), 1960, 'the approval does not move it again');
  t.equal(ledger(op.uuid).length, 1, 'and writes no row');
});

for (const action of ['CANCEL', 'REJECT', 'RETURN'] as const) {
  t.test(`an adjustment ${action}ed after SUBMIT gives its stock back`, async (t) => {
    const { create, act, held, ledger } = await rig(t);
    const op = create('adjustment', -40);
    act(op.uuid, 'SUBMIT');
    t.equal(held(), 1960);
    act(op.uuid, action);
    t.equal(held(), 2000, 'back where it was');
    t.same(
      ledger(op.uuid).map((r) => r.quantity),
      [-40, 40],
      'the SUBMIT row and its reversal',
    );
    if (action === 'RETURN') {
      act(op.uuid, 'SUBMIT');
      act(op.uuid, 'APPROVE');
      t.equal(held(), 1960, 'submitted again and approved: taken once');
    }
  });
}

t.test('a NEW adjustment cancelled moves nothing', async (t) => {
  const { create, act, held, ledger } = await rig(t);
  const op = create('adjustment', -40);
  act(op.uuid, 'CANCEL');
  t.equal(held(), 2000);
  t.equal(ledger(op.uuid).length, 0);
});

t.test('a stock take sets the batch at SUBMIT; its cancel takes back the difference', async (t) => {
  const { create, act, held, ledger } = await rig(t);
  const op = create('stocktake', 1900);
  act(op.uuid, 'SUBMIT');
  t.equal(held(), 1900, 'the difference (-100) at SUBMIT');
  act(op.uuid, 'REJECT');
  t.equal(held(), 2000);
  t.same(
    ledger(op.uuid).map((r) => r.quantity),
    [-100, 100],
  );
});

t.test('a transfer out leaves at SUBMIT and arrives at APPROVE; cancelled, it comes back', async (t) => {
  const { create, act, held, ledger } = await rig(t);
  const op = create('transferout', 300, { destinationUuid: KILIMA });
  act(op.uuid, 'SUBMIT');
  t.equal(held(), 1700, 'out of the source at SUBMIT');
  t.equal(held(KILIMA), 0, 'not yet at the destination');
  act(op.uuid, 'APPROVE');
  t.equal(held(KILIMA), 300, 'into the destination at APPROVE');
  t.same(
    ledger(op.uuid).map((r) => [r.partyUuid, r.quantity]),
    [
      [MWANGAZA, -300],
      [KILIMA, 300],
    ],
  );
  const back = create('transferout', 200, { destinationUuid: KILIMA });
  act(back.uuid, 'SUBMIT');
  act(back.uuid, 'CANCEL');
  t.equal(held(), 1700, 'the cancelled transfer put its 200 back');
  t.equal(held(KILIMA), 300);
});

t.test('a receipt moves nothing until approved; a stock issue RETURNed after DISPATCH goes back', async (t) => {
  const { create, act, held } = await rig(t);
  const receipt = create('receipt', 100, { sourceUuid: CENTRAL_STORE_PARTY, destinationUuid: MWANGAZA });
  act(receipt.uuid, 'SUBMIT');
  t.equal(held(), 2000, 'submitted, not received');
  act(receipt.uuid, 'APPROVE');
  t.equal(held(), 2100, 'received at APPROVE');
  const issue = create('stockissue', 50, { destinationUuid: KILIMA });
  act(issue.uuid, 'SUBMIT');
  act(issue.uuid, 'DISPATCH');
  t.equal(held(), 2050, 'out at SUBMIT, not again at DISPATCH');
  act(issue.uuid, 'RETURN');
  t.equal(held(), 2100, 'returned: back at the source');
  t.equal(held(KILIMA), 0);
});
