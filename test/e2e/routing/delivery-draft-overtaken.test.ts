/**
 * A draft overtaken by its delivery's completion (routing/delivery-overtaken.ts): the app saves a
 * delivery in progress while its system is down (the draft queued), then posts it completed once
 * the system is back, and the completion lands first. The draft, delivered later, used to be
 * refused (OpenLMIS: 409 "already confirmed"; DHIS2: a 409 that it would reopen the consignment)
 * and shown as a failure. It now ends done and `superseded`, naming what the completion wrote,
 * and nothing is sent: the proof of delivery stays confirmed, DHIS2's events completed, each with
 * the completion's counts. Through the real mediator, each connector and its sandbox, both engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../support/dhis2-consignments.js';
import { adminCall } from '../../support/march-stock-count.js';
import { appDelivery, retriedToItsEnd, waitingForRetry } from '../../support/counted-delivery.js';
import { shippedDelivery, startRigOn, why, writesSince, type Rig } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

type Resource = Record<string, any>;

const APP = 'https://mobile.example.org/deliveries';
const ADMIN = 'hb-draft-overtaken-admin-P7w';

/** The delivery jobs the outbox holds for `system`. */
async function deliveryJobs(rig: Rig, system: string): Promise<Resource[]> {
  const jobs = await adminCall(rig.mediator.url, ADMIN, 'GET', `/outbox/jobs?system=${system}`);
  return jobs.body.jobs.filter((j: Resource) => j.flow === 'delivery');
}

// the draft's first attempt fails and its next is far off: it waits until the operator's retry
const WAITS = waitingForRetry(ADMIN);

for (const engine of engineCases()) {
  t.test(
    `OpenLMIS: a queued draft overtaken by the confirmation is superseded (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, WAITS);
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'HB-OVERTAKEN', [
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      const pod = () => rig.lmis.sb.state.store.pods.get(podId)!;
      const down = rig.lmis.sb.faults.add({
        method: 'PUT',
        path: '/api/proofsOfDelivery/*',
        action: { type: 'status', status: 503 },
      });
      const draft = await rig.fhir(
        'POST',
        '/fhir/R5/SupplyDelivery',
        appDelivery(read, { system: APP, value: 'DL-OVERTAKEN-1' }, 'in-progress', 2),
      );
      t.equal(draft.status, 202, `the draft queued, OpenLMIS down: ${why(draft)}`);
      const [job] = await deliveryJobs(rig, 'openlmis');

      rig.lmis.sb.faults.remove(down.id);
      const done = await rig.fhir(
        'POST',
        '/fhir/R5/SupplyDelivery',
        appDelivery(read, { system: APP, value: 'DL-OVERTAKEN-1' }, 'completed', 0),
      );
      t.equal(done.status, 201, `the completion lands first: ${why(done)}`);
      t.equal(pod().status, 'CONFIRMED');

      const before = rig.lmis.sb.state.requestCount();
      const ended = await retriedToItsEnd(rig.mediator.url, ADMIN, job.id);
      t.equal(ended.status, 'done', `the draft is no failure: ${ended.lastError ?? ''}`);
      t.equal(ended.result?.status, 'superseded', 'superseded by the completion');
      t.equal(ended.result?.ids?.proofOfDelivery, podId, 'naming what the completion wrote');
      t.same(writesSince(rig, before), [], 'nothing sent to OpenLMIS');
      t.equal(pod().status, 'CONFIRMED', 'the proof of delivery confirmed still');
      t.equal(pod().lineItems[0].quantityRejected, 0, "with the completion's counts");
      // the draft's answer said where to read its state: there, the delivery completed
      const id = /read SupplyDelivery\/(\S+) for its state/.exec(why(draft))?.[1];
      const state = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${id}`);
      t.equal(state.status, 200, why(state));
      t.equal(state.body.status, 'completed', 'the draft reads as the delivery completed');
      // sent again now, the draft is no longer one the completion overtook: OpenLMIS refuses it
      const resent = await rig.fhir(
        'POST',
        '/fhir/R5/SupplyDelivery',
        appDelivery(read, { system: APP, value: 'DL-OVERTAKEN-1' }, 'in-progress', 2),
      );
      t.equal(resent.status, 409, `the draft sent again after the completion is refused: ${why(resent)}`);
      t.match(why(resent), /already confirmed/);
      t.equal(pod().status, 'CONFIRMED', 'and changes nothing');
    },
  );
}

/** Consignment SHP-OVERTAKEN-1 of `packs` packs of condoms at `facility`, in `status`. */
function consignment(facility: string, packs: number, status: string): Resource {
  const lines = [{ gtin: '10860012300034', value: packs, unit: 'pack' as const }];
  return { ...consignmentDelivery({ shipment: 'SHP-OVERTAKEN-1', location: facility, lines }), status };
}

for (const engine of engineCases()) {
  t.test(
    `DHIS2: a queued draft overtaken by the completion is superseded (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(
        t,
        engine,
        { deliveries: { default: 'dhis2' } },
        { ...CONSIGNMENT_ENV, ...WAITS },
      );
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const events = () =>
        [...sb.tracker.events.values()]
          .filter((e) => e.program === CONSIGNMENT.program)
          .map((e) => [e.status, e.dataValues.find((d: Resource) => d.dataElement === CONSIGNMENT.quantity)?.value]);
      const down = sb.faults.add({ method: 'POST', path: '/api/tracker', action: { type: 'status', status: 503 } });
      const draft = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 7, 'in-progress'));
      t.equal(draft.status, 202, `the draft queued, DHIS2 down: ${why(draft)}`);
      const [job] = await deliveryJobs(rig, 'dhis2');

      sb.faults.remove(down.id);
      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 9, 'completed'));
      t.equal(done.status, 201, `the completion lands first: ${why(done)}`);
      const completed = events();
      t.equal(completed.length, 1);
      t.equal(completed[0][0], 'COMPLETED');

      const posts = sb.state.count('POST', '/api/tracker');
      const ended = await retriedToItsEnd(rig.mediator.url, ADMIN, job.id);
      t.equal(ended.status, 'done', `the draft is no failure: ${ended.lastError ?? ''}`);
      t.equal(ended.result?.status, 'superseded', 'superseded by the completion');
      t.equal(sb.state.count('POST', '/api/tracker'), posts, 'nothing sent to DHIS2');
      t.same(events(), completed, 'the consignment completed still, with its count');
    },
  );
}
