/**
 * Open mSupply (or a gateway before it) answering JSON of another shape in the middle of an
 * accepted order write: the requisition read between its steps answered `{"data":{"requisition":
 * null}}`. That is the upstream's fault, never the client's: the write is retried, its steps
 * looking before they write again, and delivered once; one that keeps meeting such answers ends
 * as a dead letter an operator sees, not rejected as if its input were at fault (half applied,
 * its requisition created). Through the real mediator, connector and the mSupply sandbox, on
 * both store engines.
 */
import t, { type Test } from 'tap';
import { orderLine, transactionOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore, type MsupplyRig } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const ENV = {
  OPENLMIS_BASE_URL: '',
  OUTBOX_SETTLE_MS: '100',
  OUTBOX_MAX_ATTEMPTS: '3',
};

/** The requisition read answers as its schema has it once (the look before the insert), then `times` odd shapes. */
function oddRequisitionReads(rig: MsupplyRig, times?: number, requisition: unknown = null): void {
  rig.ms.faults.add({ operation: 'requisition', action: { type: 'delay', ms: 0 }, times: 1 });
  rig.ms.faults.add({
    operation: 'requisition',
    action: { type: 'status', status: 200, body: { data: { requisition } } },
    times,
  });
}

/** Open mSupply's error node for a requisition it does not find (schema: RecordNotFound). */
const NOT_FOUND = { __typename: 'RecordNotFound', description: 'Record not found' };

async function postOrder(t: Test, rig: MsupplyRig, order: string) {
  const posted = await rig.fhir(
    'POST',
    '/fhir',
    transactionOf([orderLine({ order, facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 20 })]),
  );
  t.equal(posted.status, 200, `accepted: ${why(posted)}`);
  t.match(posted.body.entry?.[0]?.response?.status, /^20[12]/, 'the order is accepted, not refused');
}

const requestsOf = (rig: MsupplyRig, order: string) =>
  [...rig.ms.state.requisitions.values()].filter((r: any) => r.type === 'REQUEST' && r.theirReference === order);

const orderJob = async (rig: MsupplyRig) =>
  (await rig.mediator.store.listJobs({})).find((j) => j.system === 'msupply' && j.flow === 'order');

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: one odd answer mid-write is retried and delivered once`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, ENV);
      oddRequisitionReads(rig, 1);
      await postOrder(t, rig, 'MS-ODD-1');
      const job = await until('the order delivered', async () => {
        const j = await orderJob(rig);
        return j && ['done', 'rejected', 'dead'].includes(j.status) ? j : undefined;
      });
      t.equal(job.status, 'done', `delivered (${job.status}; last error: ${job.lastError ?? 'none'})`);
      t.ok(job.attempts >= 2, `retried after the odd answer (${job.attempts} attempts)`);
      const requests = requestsOf(rig, 'MS-ODD-1');
      t.equal(requests.length, 1, 'one requisition');
      t.equal(requests[0]?.status, 'SENT', 'sent');
      t.equal(
        [...rig.ms.state.requisitionLines.values()].filter((l: any) => l.requisitionId === requests[0]?.id).length,
        1,
        'its one line, written once',
      );
    },
  );

  // the requisition it just made not found by the next step (a read not yet seeing the insert):
  // Open mSupply's answer, not the client's fault, so retried, not refused half made
  t.test(
    `${engine.name}: the requisition made not found once by the next step is retried, delivered once`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, ENV);
      oddRequisitionReads(rig, 1, NOT_FOUND);
      await postOrder(t, rig, 'MS-ODD-3');
      const job = await until('the order delivered', async () => {
        const j = await orderJob(rig);
        return j && ['done', 'rejected', 'dead'].includes(j.status) ? j : undefined;
      });
      t.equal(job.status, 'done', `delivered (${job.status}; last error: ${job.lastError ?? 'none'})`);
      t.ok(job.attempts >= 2, `retried (${job.attempts} attempts)`);
      const requests = requestsOf(rig, 'MS-ODD-3');
      t.equal(requests.length, 1, 'one requisition');
      t.equal(requests[0]?.status, 'SENT', 'sent, its lines added');
    },
  );

  t.test(
    `${engine.name}: odd answers to every try end as a dead letter, not a refusal`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, ENV);
      oddRequisitionReads(rig);
      await postOrder(t, rig, 'MS-ODD-2');
      const job = await until('the order given up', async () => {
        const j = await orderJob(rig);
        return j && ['done', 'rejected', 'dead'].includes(j.status) ? j : undefined;
      });
      t.equal(job.status, 'dead', `for an operator: ${job.lastError ?? ''}`);
      t.equal(job.attempts, 3, 'after outbox.maxAttempts');
      t.match(job.lastError, /requisition answered nothing where Open mSupply's schema has a requisition/);
      t.equal(requestsOf(rig, 'MS-ODD-2').length, 1, 'the requisition made before it, once');
    },
  );
}
