/**
 * Drafts of one delivery (in-progress writes, each of other counts a numbered write of its own,
 * routing/delivery-drafts.ts) on the bad day: a new draft while the last waits names that job; the
 * same waiting draft sent again is answered as it, not refused; two other drafts sent at once (two
 * instances, or one app's double tap) take one number: one is saved, the other is told another
 * draft was saved meanwhile, not that its delivery number was used for another payload (which
 * would have the app pick a new number for the same delivery). Through the real mediator, the
 * OpenLMIS connector and its sandbox, both engines.
 */
import t from 'tap';
import { appDelivery } from '../../../support/counted-delivery.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { shippedDelivery, startRigOn, why, writesSince } from '../../../support/openlmis-e2e.js';
import { deliveryJobs } from '../../../support/queued-deliveries.js';

type Resource = Record<string, any>;

const APP = 'https://mobile.example.org/deliveries';
const ADMIN = 'rf-draft-races-admin-Zq4';

/** The delivery as read, saved as the app's draft: every pack accepted but `rejected` of the first line's. */
const draft = (read: Resource, rejected = 0) =>
  appDelivery(read, { system: APP, value: 'DL-RACE-1' }, 'in-progress', rejected);

for (const engine of engineCases()) {
  t.test(
    `a draft waiting: the same sent again is answered, another names the job (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, {
        ADMIN_TOKEN: ADMIN,
        OUTBOX_BACKOFF_BASE_MS: '600000',
        OUTBOX_BACKOFF_CAP_MS: '600000',
      });
      const { read } = await shippedDelivery(rig, 'LK-HC-105', 'RF-DRAFT-WAIT', [{ productCode: 'EM-ORS', qty: 100 }]);
      rig.lmis.sb.faults.add({
        method: 'PUT',
        path: '/api/proofsOfDelivery/*',
        action: { type: 'status', status: 503 },
      });
      const first = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read));
      t.equal(first.status, 202, `queued, OpenLMIS down: ${why(first)}`);
      const [job] = await deliveryJobs(rig, ADMIN);

      const again = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read));
      t.equal(again.status, 202, `the same draft sent again is answered as the waiting one: ${why(again)}`);

      const other = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 1));
      t.equal(other.status, 409, why(other));
      t.match(other.body.issue?.[0]?.diagnostics, `outbox job ${job.id}`, 'the job it waits for named');
      t.same(
        (await deliveryJobs(rig, ADMIN)).map((j) => j.id),
        [job.id],
        'nothing queued',
      );
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `two other drafts sent at once: one saved, the other told so (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, { ADMIN_TOKEN: ADMIN });
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'RF-DRAFT-RACE', [
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      // each write numbers its draft, then reads OpenLMIS (slow now), then queues: both take number 1
      const slow = rig.lmis.sb.faults.add({ method: 'GET', path: '/api/**', action: { type: 'delay', ms: 300 } });
      const [a, b] = await Promise.all([
        rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 0)),
        rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 1)),
      ]);
      rig.lmis.sb.faults.remove(slow.id);
      const statuses = [a.status, b.status].sort();
      t.same(statuses, [201, 409], `one saved, one refused: ${why(a)} / ${why(b)}`);
      const refused = a.status === 409 ? a : b;
      const saved = a.status === 409 ? b : a;
      const diagnostics: string = refused.body.issue?.[0]?.diagnostics ?? '';
      t.match(diagnostics, /DL-RACE-1 was not saved: another draft of it was saved at the same time/, diagnostics);
      t.notMatch(diagnostics, /use a new identifier/, 'not told to pick another delivery number');
      const [job, ...others] = await deliveryJobs(rig, ADMIN);
      t.same(others, [], 'one draft written');
      t.match(diagnostics, `outbox job ${job.id}`, 'the saved draft named');
      const rejected = rig.lmis.sb.state.store.pods.get(podId)!.lineItems[0].quantityRejected;
      t.equal(rejected, saved === a ? 0 : 1, 'the proof of delivery holds the saved draft');

      // sent again, the refused draft is the next draft: saved after the other
      const resent = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, saved === a ? 1 : 0));
      t.equal(resent.status, 201, why(resent));
      t.equal(rig.lmis.sb.state.store.pods.get(podId)!.lineItems[0].quantityRejected, saved === a ? 1 : 0);
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `a draft counted back to an earlier one is saved again, not answered as it (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, { ADMIN_TOKEN: ADMIN });
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'RF-DRAFT-ABA', [
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      const rejected = () => rig.lmis.sb.state.store.pods.get(podId)!.lineItems[0].quantityRejected;
      for (const [label, less] of [
        ['a draft', 0],
        ['corrected: a pack damaged', 1],
        ['corrected back: none damaged after all', 0],
      ] as const) {
        const saved = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, less));
        t.equal(saved.status, 201, `${label}: ${why(saved)}`);
        t.equal(rejected(), less, `${label}: the proof of delivery holds it`);
      }
      const before = rig.lmis.sb.state.requestCount();
      const again = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 0));
      t.equal(again.status, 200, `the latest sent again: ${why(again)}`);
      t.same(writesSince(rig, before), [], 'nothing written again');
      t.equal((await deliveryJobs(rig, ADMIN)).length, 3, 'three drafts, each written once');
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `a saved draft reads with its counts, and is saved back with them (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, { ADMIN_TOKEN: ADMIN });
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'RF-DRAFT-READ', [
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      const pod = () => rig.lmis.sb.state.store.pods.get(podId)!.lineItems[0];
      const saved = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 1));
      t.equal(saved.status, 201, why(saved));
      const counted = pod().quantityAccepted;
      t.ok((counted ?? 0) > 0, 'the draft counted');

      const got = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${podId}`);
      t.equal(got.status, 200, why(got));
      t.equal(got.body.status, 'in-progress');
      t.equal(got.body.suppliedItem?.[0]?.quantity?.value, counted, 'the draft read with its count');
      t.same(got.body.receiver, [{ display: 'Nurse Achieng' }], 'and its receiver');
      t.match(got.body.occurrenceDateTime, /^2026-11-30/, 'and its date received');
      const whole = rig.lmis.sb.state.store.pods.get(podId)!;
      t.equal(whole.receivedBy, 'Nurse Achieng');

      // another device reads the draft and saves it again, only the receiver changed
      const { meta: _meta, ...asRead } = got.body;
      const resaved = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${got.body.id}`, {
        ...asRead,
        receiver: [{ display: 'Nurse Wanjiru' }],
      });
      t.ok(resaved.status < 300, why(resaved));
      t.equal(pod().quantityAccepted, counted, 'the count kept, not wiped');
      t.equal(pod().quantityRejected, 1);

      // saved back as read, unchanged but for a recount: its receiver and date kept
      const again = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${podId}`);
      const { meta: _m, ...reread } = again.body;
      reread.suppliedItem[0].quantity.value -= 1;
      const recounted = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${again.body.id}`, reread);
      t.ok(recounted.status < 300, why(recounted));
      const now = rig.lmis.sb.state.store.pods.get(podId)!;
      t.equal(now.lineItems[0].quantityAccepted, (counted ?? 0) - 1, 'the recount saved');
      t.equal(now.receivedBy, 'Nurse Wanjiru', 'the receiver as read kept');
      t.equal(now.receivedDate, '2026-11-30', 'the date as read kept');
    },
  );
}
