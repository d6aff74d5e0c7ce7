/**
 * An accepted order whose insertRequestRequisition Open mSupply (or a gateway before it) answers
 * 200 without its node (`{"data":{"insertRequestRequisition":null}}`), the write not applied. The
 * answer says nothing of the write, so the step must not be journaled as done: taken for done, it
 * was stored as applied and every later attempt failed on a requisition never made, to a dead
 * letter (an accepted write lost). Through the real mediator, its outbox and step journal, the
 * connector and the mSupply sandbox, on both store engines.
 */
import t from 'tap';
import { orderLine, transactionOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore, type MsupplyRig } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const ENV = { OPENLMIS_BASE_URL: '', OUTBOX_SETTLE_MS: '100', OUTBOX_MAX_ATTEMPTS: '3' };

const requestsOf = (rig: MsupplyRig, order: string) =>
  [...rig.ms.state.requisitions.values()].filter((r: any) => r.type === 'REQUEST' && r.theirReference === order);

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: an insert answered without its node is looked up, then made once`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, ENV);
      // answered without executing: nothing applied
      rig.ms.faults.add({
        operation: 'insertRequestRequisition',
        action: { type: 'status', status: 200, body: { data: { insertRequestRequisition: null } } },
        times: 1,
      });
      const posted = await rig.fhir(
        'POST',
        '/fhir',
        transactionOf([
          orderLine({ order: 'MS-NO-NODE-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 20 }),
        ]),
      );
      t.equal(posted.status, 200, `accepted: ${why(posted)}`);
      const job = await until('the order delivered', async () => {
        const j = (await rig.mediator.store.listJobs({})).find((x) => x.system === 'msupply' && x.flow === 'order');
        return j && ['done', 'rejected', 'dead'].includes(j.status) ? j : undefined;
      });
      t.equal(job.status, 'done', `delivered (${job.status}; last error: ${job.lastError ?? 'none'})`);
      t.ok(job.attempts >= 2, `retried after the answer without a node (${job.attempts} attempts)`);
      const requests = requestsOf(rig, 'MS-NO-NODE-1');
      t.equal(requests.length, 1, 'one requisition');
      t.equal(requests[0]?.status, 'SENT', 'sent, its line added');
      t.equal(
        rig.ms.state.applied.filter((a: any) => a.mutation === 'insertRequestRequisition').length,
        1,
        'inserted once',
      );
    },
  );
}
