/**
 * A delivery's write waiting for its own delivery's lock (routing/delivery-write-lock.ts) on a bad
 * day: the draft's tracker POST hangs in DHIS2, its attempt is abandoned, and the POST (a write is
 * never cut mid-flight) holds the lock until DHIS2 answers. The completion behind it waited for
 * the lock until its own attempt timed out: charged an attempt as if DHIS2 had not answered it
 * (the settle wait after it, and a dead letter at its last attempt), though it sent DHIS2 nothing;
 * with an attempt timeout above the lock's 60 s on PostgreSQL the lock's timeout was taken for a
 * bug of ours (an internal error: dead-lettered at once). Now the wait gives up while half the
 * attempt is left, and the write is queued again uncharged, naming the lock, until the draft's
 * POST ends; then it completes the consignment. Through the real mediator, its outbox and the
 * DHIS2 sandbox, both engines.
 */
import t from 'tap';
import { startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { CONSIGNMENT_ENV } from '../../support/dhis2-consignments.js';
import { why } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  COMPLETION_PACKS,
  DRAFT_PACKS,
  bothEnded,
  consignment,
  deliveryJobs,
  holdTrackerPost,
  raceFacility,
  receivedWithCompletionCount,
} from './delivery-race-rig.js';

const ADMIN = 'rs-delivery-lock-busy-admin-T7v';
const SHIPMENT = 'SHP-LOCK-1';

for (const engine of engineCases()) {
  t.test(
    `DHIS2: a completion behind its draft's hung write is queued uncharged, then completes (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const env = {
        ...CONSIGNMENT_ENV,
        ADMIN_TOKEN: ADMIN,
        OUTBOX_DEADLINE_MS: '300',
        OUTBOX_ATTEMPT_TIMEOUT_MS: '4000',
        OUTBOX_SETTLE_MS: '200',
        DHIS2_TIMEOUT_MS: '60000',
      };
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, env);
      const sb = rig.dhis2;
      const facility = raceFacility(sb);

      // the draft's tracker POST hangs in DHIS2 past its attempt's end, holding the delivery's lock
      const held = holdTrackerPost(sb);
      const draftBody = consignment(SHIPMENT, facility, DRAFT_PACKS, 'in-progress');
      const draft = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draftBody);
      t.equal(draft.status, 202, `the draft answered at its deadline: ${why(draft)}`);
      await held.onItsWay();
      const [draftJob] = await deliveryJobs(rig.mediator.url, ADMIN);

      const doneBody = consignment(SHIPMENT, facility, COMPLETION_PACKS, 'completed');
      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', doneBody);
      t.equal(done.status, 202, `the completion queued behind the draft's write: ${why(done)}`);
      const waiting = await until('the completion waited for the lock', async () => {
        const job = (await deliveryJobs(rig.mediator.url, ADMIN)).find((j) => j.id !== draftJob.id);
        return job?.lastError ? job : undefined;
      });
      t.match(waiting.lastError, /delivery-write\|dhis2\|/, `its wait names the delivery's lock: ${waiting.lastError}`);
      t.equal(waiting.attempts, 0, 'a wait for our own write is not charged an attempt');
      t.not(waiting.status, 'dead', 'nor dead-lettered');
      held.release();

      const ended = await bothEnded(rig.mediator.url, ADMIN);
      const completion = ended.find((j) => j.id !== draftJob.id)!;
      t.equal(completion.status, 'done', `the completion delivered: ${completion.lastError ?? ''}`);
      receivedWithCompletionCount(t, sb);
    },
  );
}
