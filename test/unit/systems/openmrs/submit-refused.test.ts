/**
 * An adjustment whose stock moves between the precheck and the operation's SUBMIT: the module
 * refuses the SUBMIT ("… will have a negative balance …", StockManagementServiceImpl
 * .validateStockInventoryAfterOperation) after the create succeeded. The operation is cancelled,
 * not left NEW in the location's list, and the refusal is reported as the module's (422). A
 * crash before or after the CANCEL cancels once and gives the same refusal; a report sent again
 * once the stock is there is written anew, not answered with the cancelled operation.
 */
import t, { type Test } from 'tap';
import { DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import { DyingJournal } from '../../../support/dying-journal.js';
import { MemoryJournal } from '../../../support/memory-journal.js';
import { amoxicillinAtMwangaza, amoxicillinItem, damagedAmoxicillin } from '../../../support/openmrs-damaged-stock.js';
import { failure, sandboxConnector } from './rig.js';

const damaged = (value = 'ADJ-REFUSED-1') => damagedAmoxicillin(value, 900);
const SM = '/openmrs/ws/rest/v1/stockmanagement';

/**
 * The adjustment is created (its answer lost: the first attempt fails transiently), then 500 of
 * the 1000 AMX-2401 tablets are dispensed: the retry finds the operation and SUBMITs it short.
 */
async function createdThenStockMoved(t: Test) {
  const { sb, c } = await sandboxConnector(t);
  await c.stock!.precheck!(damaged(), []);
  sb.faults.add({
    method: 'POST',
    path: `${SM}/stockoperation`,
    action: { type: 'afterApply', answer: { type: 'reset' } },
    times: 1,
  });
  const lost = await failure(c.stock!.report(damaged(), new MemoryJournal('k1')));
  t.equal(lost.transient, true, `the create's answer was lost: ${lost.message}`);
  sb.stock.dispense({ locationUuid: LOC.mwangaza, drugUuid: DRUGS.amoxicillin, batchNo: 'AMX-2401', quantity: 500 });
  const held = amoxicillinAtMwangaza(sb);
  const adjustments = () => [...sb.stock.operations.values()].filter((o) => o.operationType === 'adjustment');
  return { sb, c, held, adjustments };
}

t.test('a SUBMIT refused for stock that moved: the operation is cancelled and the refusal reported', async (t) => {
  const { sb, c, held, adjustments } = await createdThenStockMoved(t);
  const refused = await failure(c.stock!.report(damaged(), new MemoryJournal('k1')));
  t.equal(refused.transient, false, 'permanent: the stock is not there');
  t.equal(refused.status, 422);
  t.equal(refused.issues[0].code, 'business-rule');
  t.equal(refused.upstreamStatus, 400);
  t.match(refused.message, /AMX-2401 will have a negative balance of -400/, "the module's words");
  t.match(refused.message, /cancelled/);
  t.same(
    adjustments().map((o) => o.status),
    ['CANCELLED'],
    'one adjustment, cancelled: no NEW draft left in the location',
  );
  t.equal(held(), 500, 'no stock moved');
  t.equal(sb.store.writes['stockoperation.create.adjustment'], 1);
  t.equal(sb.store.writes['stockoperation.cancel.adjustment'], 1);
});

for (const when of ['before', 'after'] as const) {
  t.test(`a crash ${when} the CANCEL: the replay cancels once and gives the same refusal`, async (t) => {
    const { sb, c, held, adjustments } = await createdThenStockMoved(t);
    const journal = new DyingJournal('submit-cancel', when);
    t.match((await failure(c.stock!.report(damaged(), journal))).message, /process died/);
    t.same(
      adjustments().map((o) => o.status),
      [when === 'before' ? 'NEW' : 'CANCELLED'],
    );
    const refused = await failure(c.stock!.report(damaged(), journal));
    t.equal(refused.status, 422);
    t.match(refused.message, /negative balance of -400/, 'the refusal as journaled');
    t.same(
      adjustments().map((o) => o.status),
      ['CANCELLED'],
    );
    t.equal(sb.store.writes['stockoperation.cancel.adjustment'], 1, 'cancelled once');
    t.equal(sb.store.writes['stockoperation.submit.adjustment'] ?? 0, 0, 'never submitted');
    t.equal(held(), 500);
  });
}

t.test('the same report sent again once the stock is there: a new operation, completed', async (t) => {
  const { sb, c, held, adjustments } = await createdThenStockMoved(t);
  await failure(c.stock!.report(damaged(), new MemoryJournal('k1')));
  sb.stock.completeAt(
    {
      operationTypeUuid: sb.stock.typeUuid('receipt'),
      sourceUuid: 'e5d4c3b2-0000-4a1b-8c2d-3e4f50617280',
      destinationUuid: 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281',
      stockOperationItems: [
        {
          stockItemUuid: amoxicillinItem(sb),
          batchNo: 'AMX-2401',
          expiration: '2031-12-31',
          quantity: 500,
        },
      ],
    },
    new Date().toISOString(),
  );
  const done = await c.stock!.report(damaged(), new MemoryJournal('k2'));
  t.equal(done.status, 'COMPLETED', 'not the cancelled operation found by its reference');
  t.same(
    adjustments()
      .map((o) => o.status)
      .sort(),
    ['CANCELLED', 'COMPLETED'],
  );
  t.equal(held(), 100);
});
