/**
 * A stock report whose operation OpenMRS has SUBMITted but the mediator has not yet APPROVEd.
 * In the module the stock already moved at SUBMIT (onPending), so:
 * - a crash or a lost answer between the two, then the retry, approves once and moves the stock
 *   once;
 * - if a person in OpenMRS returned, rejected or cancelled the operation in between, the module
 *   took the stock back (onCancelled). The report is then refused as permanent, with the reason.
 *   It is not answered as written: the old connector answered such a report as written, with
 *   status REJECTED.
 */
import t, { type Test } from 'tap';
import { DyingJournal } from '../../../support/dying-journal.js';
import { amoxicillinAtMwangaza, damagedAmoxicillin } from '../../../support/openmrs-damaged-stock.js';
import { failure, sandboxConnector } from './rig.js';

const damaged = (value: string) => damagedAmoxicillin(value, 40);

async function submittedThenDied(t: Test, value: string) {
  const { sb, c } = await sandboxConnector(t);
  const held = amoxicillinAtMwangaza(sb);
  const before = held();
  const journal = new DyingJournal('approve');
  await t.rejects(c.stock!.report(damaged(value), journal), /process died before approve/);
  const op = [...sb.stock.operations.values()].find((o) => o.externalReference === `urn:test:adj|${value}`)!;
  t.equal(op.status, 'SUBMITTED', 'submitted, not approved');
  t.equal(held(), before - 40, 'OpenMRS moved the stock at SUBMIT');
  return { sb, c, op, held, before, journal };
}

t.test('a crash between SUBMIT and APPROVE: the retry approves once, the stock moved once', async (t) => {
  const { sb, c, op, held, before, journal } = await submittedThenDied(t, 'ADJ-BETWEEN-1');
  const done = await c.stock!.report(damaged('ADJ-BETWEEN-1'), journal);
  t.equal(done.status, 'COMPLETED');
  t.equal(held(), before - 40, 'still down by 40, once');
  t.same(op.statusHistory, ['NEW', 'SUBMITTED', 'COMPLETED']);
  t.same(
    sb.stock.transactions.search({ stockOperationUuid: op.uuid }).map((r) => r.quantity),
    [-40],
    'one ledger row',
  );
  t.equal(sb.store.writes['stockoperation.submit.adjustment'], 1);
  t.equal(sb.store.writes['stockoperation.approve.adjustment'], 1);
});

for (const action of ['REJECT', 'RETURN', 'CANCEL'] as const) {
  t.test(`${action}ed in OpenMRS between SUBMIT and APPROVE: refused with the reason`, async (t) => {
    const { sb, c, op, held, before, journal } = await submittedThenDied(t, `ADJ-${action}-1`);
    sb.stock.act({ uuid: op.uuid, name: action, reason: 'not ours' });
    t.equal(held(), before, 'OpenMRS took the stock back');
    const refused = await failure(c.stock!.report(damaged(`ADJ-${action}-1`), journal));
    t.equal(refused.transient, false, 'permanent: a person in OpenMRS decided');
    t.equal(refused.status, 422);
    t.match(refused.issues[0].diagnostics, new RegExp(`${op.uuid} was ${op.status} in OpenMRS before the mediator`));
    t.equal(sb.store.writes['stockoperation.approve.adjustment'], undefined, 'never approved');
    t.equal(held(), before, 'nothing counted');
    const replay = await failure(c.stock!.report(damaged(`ADJ-${action}-1`), journal));
    t.equal(replay.status, 422, 'the replay of the same job says the same');
  });
}
