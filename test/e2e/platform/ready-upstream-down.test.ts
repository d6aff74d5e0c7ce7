/**
 * An upstream down leaves the mediator serving, so /ready stays 200 ('degraded') and a Kubernetes
 * readiness probe keeps the instance in service: the down system's check still says 'down' with
 * its reason, a write for it is accepted and queued (202). Only the mediator's own store down makes
 * /ready 503 (ready-store-writes.test.ts, pg-restart.test.ts). Through the real mediator and the
 * OpenLMIS sandbox, on both engines (the queued write is stored).
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, RIG_AUTH, startRigOn, why } from '../../support/openlmis-e2e.js';

interface Readiness {
  status: string;
  checks: { name: string; status: string; reason?: string }[];
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: OpenLMIS down: /ready 200 degraded, its check down, writes queued`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { lmis } = rig;
      lmis.sb.faults.add({ path: '/api/**', action: { type: 'status', status: 503 } });

      const res = await fetch(`${rig.mediator.url}/ready`, { headers: { authorization: RIG_AUTH } });
      const body = (await res.json()) as Readiness;
      t.equal(res.status, 200, `a probe keeps the instance in service: ${JSON.stringify(body)}`);
      t.equal(body.status, 'degraded');
      t.match(body.checks, [
        { name: 'store', status: 'ok' },
        { name: 'openlmis', status: 'down', reason: /login failed: Service Unavailable/ },
      ]);

      const facilityId = lmis.seed.facilities['LK-HC-101'];
      const answer = await rig.fhir(
        'POST',
        '/fhir/SupplyRequest',
        orderLine({ order: 'MOB-READY-DOWN-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 40 }),
      );
      t.equal(answer.status, 202, why(answer));
      const job = (await rig.mediator.store.listJobs({})).find((j) => j.system === 'openlmis');
      t.equal(job?.status, 'pending', 'queued for when OpenLMIS is back');
    },
  );
}
