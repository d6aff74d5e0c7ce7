/**
 * A write given up (dead-lettered) is settled until an operator retries it: the same write sent
 * again, directly or through OpenHIM, gets the final failed answer at once (502, the job named,
 * its last error, how an operator retries it), not 202 "Accepted and queued", and its OpenHIM
 * transaction is Failed in the envelope itself, with no `error` (OpenHIM's auto-retry would meet
 * the same dead job) and no later update. Through the real mediator, the OpenLMIS connector and
 * its sandbox (initiate answering 503), with the OpenHIM sandbox taking the updates; SQLite
 * always, PostgreSQL when TEST_DATABASE_URL is set. Once an operator retries it and it is
 * delivered, a resend is answered with the delivered order.
 */
import t from 'tap';
import { startRigThroughOpenHim } from '../../support/openhim-rig.js';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, why, type Rig } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';

const INITIATE = '/api/requisitions/initiate';
const ADMIN_TOKEN = 'dead-resend-admin-token';

/** The OpenHIM envelope a request through OpenHIM is answered with, its body parsed. */
function envelopeOf(res: { status: number; body: any }): { status: string; error?: unknown; response: any } {
  const envelope = res.body;
  return { ...envelope, response: { ...envelope.response, body: JSON.parse(envelope.response.body) } };
}

/** An urgent order of 40 ORS at LK-HC-101. */
const urgentOrsLine = (rig: Rig, order: string) =>
  orderLine({
    order,
    facilityId: rig.lmis.seed.facilities['LK-HC-101'],
    program: 'EM01',
    productCode: 'EM-ORS',
    qty: 40,
    priority: 'urgent',
  });

const jobsOf = (rig: Rig, key: string) => rig.mediator.store.findJobsByKey(key);
/** How often OpenLMIS was asked to initiate a requisition (each ask met the fault). */
const initiates = (rig: Rig, faultId: string) => rig.lmis.sb.faults.list().find((f) => f.id === faultId)?.hits;

for (const engine of engineCases()) {
  t.test(
    `a dead-lettered write sent again gets its final answer at once (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig } = await startRigThroughOpenHim(t, engine, {
        OUTBOX_DEADLINE_MS: '300',
        OUTBOX_MAX_ATTEMPTS: '2',
        ADMIN_TOKEN,
      });
      const line = urgentOrsLine(rig, 'DEAD-RESEND-1');
      const failing = rig.lmis.sb.faults.add({
        method: 'POST',
        path: INITIATE,
        action: { type: 'status', status: 503 },
      });

      const original = '65f0c0ffee0000000000d001';
      const first = await rig.fhir('POST', '/fhir/SupplyRequest', line, { 'x-openhim-transactionid': original });
      t.match(envelopeOf(first), { status: 'Processing', response: { status: 202 } }, 'the first is queued (202)');
      const job = await until(
        'the job given up',
        async () => {
          const [dead] = await rig.mediator.store.listJobs({ status: 'dead' });
          return dead;
        },
        30_000,
      );
      t.equal(job.transactionId, original, "the original's job");
      await until('the original updated', async () => openhim.state.transactionUpdates.has(original), 30_000);
      t.match(openhim.state.transactionUpdates.get(original), [{ status: 'Failed', response: { status: 502 } }]);
      const triedBefore = initiates(rig, failing.id);
      t.equal(triedBefore, 2, 'OpenLMIS was asked twice (outbox.maxAttempts)');

      const direct = await rig.fhir('POST', '/fhir/SupplyRequest', line);
      t.equal(direct.status, 502, `sent again directly: the give-up, not 202: ${why(direct)}`);
      t.match(direct.body, {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'transient' }],
      });
      const said = why(direct);
      t.match(said, new RegExp(`outbox job ${job.id}`), 'names the job');
      t.match(said, /gave up after 2 attempts \(last error: .*503/, 'with its last error');
      t.match(
        said,
        new RegExp(`cli outbox retry ${job.id}.*/admin/outbox/jobs/${job.id}/retry`),
        'and how to retry it',
      );
      t.notMatch(JSON.stringify(direct.body), /password|changeme/, 'no secret');

      const resend = '65f0c0ffee0000000000d002';
      const viaOpenhim = await rig.fhir('POST', '/fhir/SupplyRequest', line, { 'x-openhim-transactionid': resend });
      const envelope = envelopeOf(viaOpenhim);
      t.match(
        envelope,
        { status: 'Failed', response: { status: 502 } },
        'through OpenHIM: Failed at once, not Processing',
      );
      t.equal(envelope.error, undefined, 'not marked for OpenHIM auto-retry: a rerun would meet the same dead job');
      t.equal(envelope.response.body.issue[0].diagnostics, said, 'the same answer as directly');
      t.same(await rig.mediator.store.listRerunUpdates(job.id), [], 'nothing owed to the resend transaction');
      await new Promise((r) => setTimeout(r, 1_500)); // past the sweep's grace and several sweeps
      t.notOk(openhim.state.transactionUpdates.has(resend), 'no update PUT for the resend: its answer was final');
      t.equal(initiates(rig, failing.id), triedBefore, 'the resends asked OpenLMIS nothing');
      t.equal((await jobsOf(rig, job.idempotencyKey)).length, 1, 'still one job');
      t.equal((await rig.mediator.store.getJob(job.id))?.status, 'dead', 'still dead: a resend is no retry');

      rig.lmis.sb.faults.remove(failing.id);
      const retried = await rig.mediator.app.inject({
        method: 'POST',
        url: `/admin/outbox/jobs/${job.id}/retry?status=dead`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-admin-user': 'Ama' },
      });
      t.equal(retried.statusCode, 200, retried.body);
      await until(
        'delivered after the operator retry',
        async () => (await rig.mediator.store.getJob(job.id))?.status === 'done',
        30_000,
      );
      const after = await rig.fhir('POST', '/fhir/SupplyRequest', line);
      t.equal(after.status, 200, `once retried and delivered, a resend gets the delivered order: ${why(after)}`);
    },
  );

  t.test(
    `a write given up while its client waits is answered so, not 202 (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // one attempt only: the client's own attempt is the last one
      const { openhim, rig } = await startRigThroughOpenHim(t, engine, { OUTBOX_MAX_ATTEMPTS: '1' });
      const line = urgentOrsLine(rig, 'DEAD-INLINE-1');
      rig.lmis.sb.faults.add({ method: 'POST', path: INITIATE, action: { type: 'status', status: 503 } });
      const tx = '65f0c0ffee0000000000d101';
      const first = envelopeOf(await rig.fhir('POST', '/fhir/SupplyRequest', line, { 'x-openhim-transactionid': tx }));
      t.match(first, { status: 'Failed', response: { status: 502 } }, 'Failed at once: nothing is left to update');
      t.match(first.response.body.issue[0].diagnostics, /gave up after 1 attempt \(.*outbox job /);
      const [job] = await rig.mediator.store.listJobs({ status: 'dead' });
      t.equal(job?.transactionId, tx, 'kept as a dead letter');
      await new Promise((r) => setTimeout(r, 1_000)); // several sweeps
      t.notOk(openhim.state.transactionUpdates.has(tx), 'its answer was final: no update follows');
    },
  );
}
