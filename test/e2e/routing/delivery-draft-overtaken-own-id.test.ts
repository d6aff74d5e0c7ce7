/**
 * A draft overtaken by a completion written under the delivery's own identifier
 * (routing/delivery-overtaken.ts): the app saves the proof of delivery in progress under its own
 * identifier while OpenLMIS is down (the draft queued), then completes it by a PUT of the delivery
 * as read (the proof of delivery's own identifier, another key), which lands first. The draft,
 * delivered later, is found overtaken through the lines both name: it ends done and `superseded`,
 * nothing sent, the proof of delivery confirmed with the completion's counts. Both engines.
 */
import t from 'tap';
import { appDelivery, countedDelivery, retriedToItsEnd, waitingForRetry } from '../../support/counted-delivery.js';
import { adminCall } from '../../support/march-stock-count.js';
import { shippedDelivery, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

type Resource = Record<string, any>;

const APP = 'https://mobile.example.org/deliveries';
const ADMIN = 'b2-draft-own-id-admin-Q4k';

// the draft's first attempt fails and its next is far off: it waits until the operator's retry
const WAITS = waitingForRetry(ADMIN);

for (const engine of engineCases()) {
  t.test(
    `OpenLMIS: a draft under the app's identifier, completed under the POD's own, is superseded (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, WAITS);
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'B2-OWN-ID', [
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
        appDelivery(read, { system: APP, value: 'DL-OWN-ID-1' }, 'in-progress', 2),
      );
      t.equal(draft.status, 202, `the draft queued, OpenLMIS down: ${why(draft)}`);
      const jobs = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?system=openlmis');
      const [job] = jobs.body.jobs.filter((j: Resource) => j.flow === 'delivery');

      rig.lmis.sb.faults.remove(down.id);
      const done = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${podId}`, countedDelivery(read, 'completed', 0));
      t.ok([200, 201].includes(done.status), `the completion lands first: ${done.status} ${why(done)}`);
      t.equal(pod().status, 'CONFIRMED');

      const before = rig.lmis.sb.state.requestCount();
      const ended = await retriedToItsEnd(rig.mediator.url, ADMIN, job.id);
      t.equal(ended.status, 'done', `the draft is no failure: ${ended.lastError ?? ''}`);
      t.equal(ended.result?.status, 'superseded', 'superseded by the completion');
      t.equal(ended.result?.ids?.proofOfDelivery, podId, 'naming what the completion wrote');
      t.same(writesSince(rig, before), [], 'nothing sent to OpenLMIS');
      t.equal(pod().status, 'CONFIRMED', 'the proof of delivery confirmed still');
      t.equal(pod().lineItems[0].quantityRejected, 0, "with the completion's counts");
      // a draft saved after the completion is no draft it overtook: refused, nothing changed
      const late = await rig.fhir(
        'POST',
        '/fhir/R5/SupplyDelivery',
        appDelivery(read, { system: APP, value: 'DL-OWN-ID-1' }, 'in-progress', 1),
      );
      t.equal(late.status, 409, `a draft saved after the completion is refused: ${why(late)}`);
      t.match(why(late), /already confirmed/);
      t.equal(pod().lineItems[0].quantityRejected, 0, 'and changes nothing');
    },
  );
}
