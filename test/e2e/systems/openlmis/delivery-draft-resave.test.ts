/**
 * An app saves a delivery's draft (in-progress: counted, not received yet) under its own delivery
 * number, then finds it by that number and saves it again with corrected counts. The in-progress
 * write was keyed apart (`|in-progress`), so a search by the number without a system (or with it)
 * found nothing, and the corrected draft was a 409 ("another payload" for the number). Now each
 * draft of other counts is a write of its own (`|in-progress:2`, …): the later draft replaces the
 * earlier in OpenLMIS's proof of delivery; a draft sent again is that draft, written once; a
 * search by the number finds the delivery, still in progress. Through the real
 * mediator, the OpenLMIS connector and its sandbox, both engines.
 */
import t from 'tap';
import { appDelivery } from '../../../support/counted-delivery.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { shippedDelivery, startRigOn, why, writesSince } from '../../../support/openlmis-e2e.js';
import { deliveredOnRetry, deliveryJobs } from '../../../support/queued-deliveries.js';

type Resource = Record<string, any>;

const APP = 'https://mobile.example.org/deliveries';
const ADMIN = 'hf-draft-resave-admin-Qx7';

/** The delivery as read, saved as the app's draft: every pack accepted but `rejected` of the first line's. */
const draft = (read: Resource, rejected = 0) =>
  appDelivery(read, { system: APP, value: 'DL-RESAVE-1' }, 'in-progress', rejected);

for (const engine of engineCases()) {
  t.test(
    `a delivery's draft is found by its number and saved again with other counts (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'DRAFT-RESAVE', [
        { productCode: 'EM-ORS', qty: 100 },
        { productCode: 'EM-AMX250', qty: 300 },
      ]);
      const pod = () => rig.lmis.sb.state.store.pods.get(podId)!;
      const accepted = () => pod().lineItems.map((l: Resource) => l.quantityAccepted);
      const shipped = accepted().length;

      const first = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read));
      t.equal(first.status, 201, why(first));
      t.equal(pod().status, 'INITIATED', 'a draft, not confirmed');
      const counts = accepted();
      t.equal(counts.length, shipped);

      for (const identifier of ['DL-RESAVE-1', `${APP}|DL-RESAVE-1`]) {
        const found = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?identifier=${encodeURIComponent(identifier)}`);
        t.equal(found.status, 200, why(found));
        const entries: Resource[] = found.body.entry ?? [];
        t.equal(entries.length, 1, `the draft found by ${identifier}`);
        t.equal(entries[0]?.resource.status, 'in-progress', `${identifier}: in progress`);
        t.ok(
          entries[0]?.resource.identifier?.some((i: Resource) => i.value === 'DL-RESAVE-1'),
          `${identifier}: under the app's number`,
        );
      }

      // counted again: a pack fewer on the first line; the later draft replaces the earlier
      const corrected = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 1));
      t.equal(corrected.status, 201, `a corrected draft is saved: ${why(corrected)}`);
      t.equal(corrected.body.status, 'in-progress');
      const correctedCounts = accepted();
      t.ok(correctedCounts[0] < counts[0], 'the proof of delivery holds the corrected count');
      t.same(correctedCounts.slice(1), counts.slice(1), 'and the others as counted');
      t.equal(pod().status, 'INITIATED', 'still a draft');

      // the last draft sent again is that draft: nothing written again, its counts kept (one
      // equal to an earlier draft is saved again: delivery-draft-races.test.ts)
      const before = rig.lmis.sb.state.requestCount();
      const again = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 1));
      t.ok(again.status === 200 || again.status === 201, `the corrected draft sent again: ${why(again)}`);
      t.same(writesSince(rig, before), [], 'nothing written again');
      t.same(accepted(), correctedCounts, 'the corrected counts kept');

      const found = await rig.fhir('GET', '/fhir/R5/SupplyDelivery?identifier=DL-RESAVE-1');
      const entries: Resource[] = found.body.entry ?? [];
      t.equal(entries.length, 1, 'one delivery found');
      t.equal(entries[0]?.resource.status, 'in-progress', 'in progress still');
      const drafts = (await rig.mediator.store.listJobs()).filter((j) => j.flow === 'delivery');
      t.equal(drafts.length, 2, 'two drafts written, each once');
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `a queued draft is found by its number; a new draft waits for it (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, {
        ADMIN_TOKEN: ADMIN,
        OUTBOX_BACKOFF_BASE_MS: '600000',
        OUTBOX_BACKOFF_CAP_MS: '600000',
      });
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'DRAFT-QUEUED', [
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      const down = rig.lmis.sb.faults.add({
        method: 'PUT',
        path: '/api/proofsOfDelivery/*',
        action: { type: 'status', status: 503 },
      });
      const first = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read));
      t.equal(first.status, 202, `queued, OpenLMIS down: ${why(first)}`);
      const [job, ...others] = await deliveryJobs(rig, ADMIN);
      t.equal(job?.status, 'pending');
      t.same(others, []);

      const found = await rig.fhir('GET', '/fhir/R5/SupplyDelivery?identifier=DL-RESAVE-1');
      t.equal(found.status, 200, why(found));
      t.equal(found.body.entry?.length, 1, 'the queued draft found by its number without a system');

      // delivered in either order, the earlier draft could end up over the later: it waits
      const corrected = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 1));
      t.equal(corrected.status, 409, why(corrected));
      t.match(corrected.body.issue?.[0]?.diagnostics, /DL-RESAVE-1 was not saved: its earlier draft .* is waiting/);
      t.same(
        (await deliveryJobs(rig, ADMIN)).map((j) => j.id),
        [job.id],
        'nothing queued',
      );

      await deliveredOnRetry(t, rig, ADMIN, job.id, down);
      const later = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft(read, 1));
      t.equal(later.status, 201, `once the earlier is delivered: ${why(later)}`);
      const pod = rig.lmis.sb.state.store.pods.get(podId)!;
      t.match(pod.lineItems[0], { quantityRejected: 1 }, 'the corrected draft saved');
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `a draft with lines not counted yet is saved; a confirmation still needs them all (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'DRAFT-PARTIAL', [
        { productCode: 'EM-ORS', qty: 100 },
        { productCode: 'EM-AMX250', qty: 300 },
      ]);
      const pod = () => rig.lmis.sb.state.store.pods.get(podId)!;
      const partial = draft(read);
      const { quantity: _q, ...uncounted } = partial.suppliedItem[1];
      partial.suppliedItem[1] = uncounted;
      // half the first line counted so far: a count in progress, checked when confirmed
      partial.suppliedItem[0].quantity.value = 1;

      const saved = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', partial);
      t.equal(saved.status, 201, `a partial draft: ${why(saved)}`);
      t.equal(pod().status, 'INITIATED', 'not confirmed');
      t.same(
        pod().lineItems.map((l: Resource) => [l.quantityAccepted, l.quantityRejected]),
        [
          [1, 0],
          [null, null],
        ],
        'the counted line saved, the other without quantities',
      );

      const before = rig.lmis.sb.state.requestCount();
      const confirmation: Resource = {
        ...partial,
        status: 'completed',
        identifier: [{ system: APP, value: 'DL-PARTIAL-DONE' }],
      };
      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', confirmation);
      t.equal(done.status, 422, `a confirmation with a line not counted: ${why(done)}`);
      t.same(writesSince(rig, before), [], 'nothing written');
      t.equal(pod().status, 'INITIATED');
    },
  );
}
