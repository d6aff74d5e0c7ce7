/**
 * A write the client was told would be delivered (202) meets a refusal of the mediator's own
 * credentials on a later attempt: OpenLMIS's tokens expired and its login now refused (a password
 * changed upstream, a client secret rotated). Before, a login refused for good was not transient,
 * so the outbox rejected the accepted write at once; DHIS2's 401s were charged and dead-lettered
 * every queued write within hours. The write now waits, uncharged, for the settings: tried again
 * once the credential cache's hold on the refused login has passed (a minute), and delivered once
 * the login works again, exactly once. Through the OpenLMIS sandbox, on both store engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, requisitionsAt, startRigOn, why } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';

// each engine's case spends a minute idle in the login hold: both wait at once (own rig, own database)
t.jobs = 2;

for (const engine of engineCases()) {
  t.test(
    `an accepted write refused our credentials waits for them, uncharged, then lands once (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, {
        OUTBOX_DEADLINE_MS: '1000',
        OUTBOX_BACKOFF_BASE_MS: '50',
        OUTBOX_BACKOFF_CAP_MS: '200',
        OUTBOX_MAX_ATTEMPTS: '3',
      });
      const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
      const before = requisitionsAt(rig, 'LK-HC-101').length;
      // OpenLMIS is away for the first attempt: the client is answered 202
      rig.lmis.sb.faults.add({
        method: 'POST',
        path: '/api/requisitions/initiate',
        action: { type: 'status', status: 503 },
        times: 1,
      });
      const line = orderLine({
        order: 'CRED-1',
        facilityId,
        program: 'EM01',
        productCode: 'EM-ORS',
        qty: 40,
        priority: 'urgent',
      });
      const accepted = await rig.fhir('POST', '/fhir/SupplyRequest', line);
      t.equal(accepted.status, 202, why(accepted));
      // then its tokens expire and its login is refused (as after a password change)
      rig.lmis.sb.state.expireTokens();
      const refusal = rig.lmis.sb.faults.add({
        method: 'POST',
        path: '/api/oauth/token',
        action: { type: 'status', status: 401 },
      });
      const [job] = await rig.mediator.store.listJobs({ flow: undefined, limit: 5 });
      const waiting = await until('the retry meets the refused login', async () => {
        const j = await rig.mediator.store.getJob(job.id);
        return j?.lastError && /login .* refused/.test(j.lastError) ? j : undefined;
      });
      t.equal(waiting.status, 'pending', 'waiting, not rejected');
      t.equal(waiting.attempts, 1, 'the refused login charged nothing (one attempt: the 503)');
      // against the store's own stamps, not this process's clock: the hold is a minute
      const [lastAttempt] = (await rig.mediator.store.listJobAttempts(job.id)).slice(-1);
      t.ok(
        waiting.nextAttemptAt - lastAttempt.endedAt > 30_000,
        `tried again after the login hold, not at once (${waiting.nextAttemptAt - lastAttempt.endedAt} ms after its last attempt)`,
      );
      t.equal(requisitionsAt(rig, 'LK-HC-101').length, before, 'nothing sent meanwhile');

      // the settings are fixed (here: OpenLMIS takes the login again); the next try delivers it
      rig.lmis.sb.faults.remove(refusal.id);
      const done = await until(
        'the write is delivered after the hold',
        async () => {
          const j = await rig.mediator.store.getJob(job.id);
          return j?.status === 'done' ? j : undefined;
        },
        90_000,
      );
      t.equal(done.attempts, 2, 'one more attempt: the one that delivered');
      t.equal(requisitionsAt(rig, 'LK-HC-101').length, before + 1, 'one requisition');
    },
  );
}
