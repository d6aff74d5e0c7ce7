/**
 * OpenLMIS's gateway throttling a write, end to end (real mediator, outbox, SQLite): the initiate
 * of an order answered 429 Retry-After: 120. The client gets 202 (queued), the job is due no
 * earlier than the two minutes OpenLMIS asked for, whatever the outbox's own back-off (50–200 ms
 * here), and OpenLMIS hears the initiate once, not once per back-off. Both engines.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { orderLine, startRigOn, why } from '../../../support/openlmis-e2e.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: an initiate answered 429 Retry-After: 120: 202, due in two minutes, asked once`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { lmis } = rig;
      const facilityId = lmis.seed.facilities['LK-HC-101'];
      const rule = lmis.sb.faults.add({
        method: 'POST',
        path: '/api/requisitions/initiate',
        action: { type: 'status', status: 429, headers: { 'retry-after': '120' } },
      });
      const before = Date.now();
      const answer = await rig.fhir(
        'POST',
        '/fhir/SupplyRequest',
        orderLine({ order: 'MOB-RETRY-AFTER-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 40 }),
      );
      t.equal(answer.status, 202, why(answer));
      t.equal(answer.body.resourceType, 'OperationOutcome');
      await sleep(1_500); // ten of the outbox's own back-offs
      const hits = lmis.sb.faults.list().find((r) => r.id === rule.id)?.hits;
      t.equal(hits, 1, 'the initiate was sent once');
      const job = (await rig.mediator.store.listJobs({})).find((j) => j.system === 'openlmis')!;
      t.equal(job.status, 'pending', 'still queued');
      t.ok(job.nextAttemptAt >= before + 119_000, `due ${job.nextAttemptAt - before} ms after the write`);
      t.match(job.lastError, /429/);
    },
  );
}
