/**
 * The location look-up a stock write makes before it is queued (routing's precheck: the
 * InventoryReport's location by uuid) answered by a gateway in front of OpenMRS with
 * `200 {"message": "maintenance"}`. Before, the answer was read as "no such location": the write
 * was refused 422 as for an unknown facility, during an outage. Now it is an outage like any
 * other pre-queue look-up's (routed-flow.ts: a transient precheck failure queues the write, as
 * OpenLMIS's facility look-up does): the write is accepted, held while the page lasts, and
 * delivered once when OpenMRS answers. Real mediator, connector and sandbox, both store engines.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { until } from '../../../support/net.js';
import { startOpenMrsRigOn, why, type OpenMrsRig } from '../../../support/openmrs-e2e.js';
import { appCount } from '../../../support/openmrs-inventory-report.js';
import { engineCases } from '../../../support/outbox-engines.js';

const MAINTENANCE = { type: 'status', status: 200, body: { message: 'maintenance' } } as const;

const stockJob = async (rig: OpenMrsRig) => (await rig.mediator.store.listJobs({})).find((j) => j.system === 'openmrs');

for (const engine of engineCases()) {
  t.test(`${engine.name}: a location look-up answered by a page queues the write`, { skip: engine.skip }, async (t) => {
    const rig = await startOpenMrsRigOn(t, engine, 'B-location-page');
    const rule = rig.sb.faults.add({
      method: 'GET',
      path: `/openmrs/ws/rest/v1/location/${LOC.mwangaza}`,
      action: MAINTENANCE,
    });
    const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', appCount('CNT-LOC-PAGE-1'));
    t.equal(posted.status, 202, `accepted, not refused for an unknown facility: ${why(posted)}`);
    t.notMatch(posted.text, /not an OpenMRS location/, 'no unknown-facility refusal');
    // its delivery meets the page too: held, nothing written, not given up
    const tried = await until('a delivery attempt met the page', async () => {
      const job = await stockJob(rig);
      return job && job.attempts >= 1 ? job : undefined;
    });
    t.notOk(['done', 'rejected', 'dead'].includes(tried.status), `held while the page lasts (${tried.status})`);
    t.equal(rig.sb.store.writes['stockoperation.create.stocktake'] ?? 0, 0, 'nothing written meanwhile');
    t.match(tried.lastError ?? '', /location\/\S+ answered without/, 'it is the look-up that met the page');
    rig.sb.faults.remove(rule.id); // OpenMRS answers again
    const ended = await until('the count delivered', async () => {
      const job = await stockJob(rig);
      return job && ['done', 'rejected', 'dead'].includes(job.status) ? job : undefined;
    });
    t.equal(ended.status, 'done', `delivered: ${ended.lastError ?? ''}`);
    t.equal(rig.sb.store.writes['stockoperation.create.stocktake'], 1, 'the count created once');
  });
}
