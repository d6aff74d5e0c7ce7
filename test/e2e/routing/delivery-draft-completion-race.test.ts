/**
 * A delivery's draft and its completion delivered at the same moment (routing/delivery-write-lock.ts):
 * the app's draft waits queued (DHIS2 down), the operator's retry sends it, and while it is on its
 * way the app posts the delivery completed. The draft's consignment events were planned from what
 * DHIS2 held before the completion; posted after it, they made the received consignment ACTIVE
 * again with the draft's count. Each write of one delivery now holds the delivery's lock from its
 * read to its end, so the completion reads what the draft wrote and completes it: the events end
 * COMPLETED with the completion's count. Through the real mediator, its outbox and the DHIS2
 * sandbox, both engines.
 */
import t from 'tap';
import { startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { CONSIGNMENT_ENV } from '../../support/dhis2-consignments.js';
import { adminCall } from '../../support/march-stock-count.js';
import { waitingForRetry } from '../../support/counted-delivery.js';
import { why } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  COMPLETION_PACKS,
  DRAFT_PACKS,
  consignment,
  deliveryJobs,
  endedJob,
  holdTrackerPost,
  raceFacility,
  receivedWithCompletionCount,
} from './delivery-race-rig.js';

const ADMIN = 'sd-draft-completion-race-admin-Q4k';
const SHIPMENT = 'SHP-RACE-1';

for (const engine of engineCases()) {
  t.test(
    `DHIS2: a draft on its way when the completion comes does not reopen the consignment (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // a completion not delivered within 1 s is answered 202 and delivered on (here: after the draft)
      const env = { ...CONSIGNMENT_ENV, ...waitingForRetry(ADMIN), OUTBOX_DEADLINE_MS: '1000' };
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, env);
      const sb = rig.dhis2;
      const facility = raceFacility(sb);

      const down = sb.faults.add({ method: 'POST', path: '/api/tracker', action: { type: 'status', status: 503 } });
      const draftBody = consignment(SHIPMENT, facility, DRAFT_PACKS, 'in-progress');
      const draft = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draftBody);
      t.equal(draft.status, 202, `the draft queued, DHIS2 down: ${why(draft)}`);
      const [draftJob] = await deliveryJobs(rig.mediator.url, ADMIN);
      sb.faults.remove(down.id);

      // the draft's post, planned from the events as they were, held on its way until released
      const held = holdTrackerPost(sb);
      const retried = await adminCall(
        rig.mediator.url,
        ADMIN,
        'POST',
        `/outbox/jobs/${draftJob.id}/retry?status=pending`,
      );
      t.equal(retried.status, 200, 'the operator retries the draft');
      await held.onItsWay();

      // the completion: on the old code it read and completed the events meanwhile (201)
      const doneBody = consignment(SHIPMENT, facility, COMPLETION_PACKS, 'completed');
      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', doneBody);
      t.ok([201, 202].includes(done.status), `the completion accepted: ${why(done)}`);
      held.release();

      const ended = await endedJob(rig.mediator.url, ADMIN, draftJob.id, 'the draft ended');
      t.equal(ended.status, 'done', `the draft delivered: ${ended.lastError ?? ''}`);
      const completion = (await deliveryJobs(rig.mediator.url, ADMIN)).find((j) => j.id !== draftJob.id)!;
      const completed = await endedJob(rig.mediator.url, ADMIN, completion.id, 'the completion ended');
      t.equal(completed.status, 'done', `the completion delivered: ${completed.lastError ?? ''}`);
      receivedWithCompletionCount(t, sb);
    },
  );
}
