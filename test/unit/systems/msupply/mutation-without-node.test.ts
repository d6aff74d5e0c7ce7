/**
 * A 200 to a mutation whose `data` holds no answer for it (`{"data": {"insertRequestRequisition":
 * null}}`, or no field at all: a gateway's rewrite, a server of another version). Open mSupply's
 * schema makes every mutation's answer non-null (a node or its typed error), so such an answer says
 * nothing of whether the write was applied: unknown, and the retry looks before it writes. Taken
 * for done, the step was journaled as applied and the write never made, so every later attempt
 * failed on a requisition that was never there, to a dead letter.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { AMOXICILLIN, MemoryJournal, failure, order, startRig } from './harness.js';

const ANSWERS: [string, unknown][] = [
  ['a null answer', { data: { insertRequestRequisition: null } }],
  ['no field at all', { data: {} }],
];

for (const [what, body] of ANSWERS) {
  t.test(`insertRequestRequisition answered 200 with ${what}: unknown, then made once`, async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    // answered without executing: the write was not applied
    rig.sb.faults.add({
      operation: 'insertRequestRequisition',
      action: { type: 'status', status: 200, body },
      times: 1,
    });
    const o = order('NO-NODE-1', [{ gtin: AMOXICILLIN, qty: 100 }]);
    const journal = new MemoryJournal();
    const err = await failure(rig.connector.orders!.submit(o, journal));
    t.ok(err instanceof UpstreamError && err.transient, `a failure the outbox retries: ${String(err)}`);
    t.match(String(err), /insertRequestRequisition answered no node: whether it was applied is looked up on the retry/);
    t.notOk(journal.steps.has('insert-requisition'), 'the insert is not journaled as done');
    const result = await rig.connector.orders!.submit(o, journal);
    t.equal(result.status, 'active');
    const requests = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
    t.equal(requests.length, 1, 'one requisition');
    t.equal(requests[0].status, 'SENT');
  });
}
