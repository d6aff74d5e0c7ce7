/**
 * An app writes a delivery "in-progress" (on its way, counted, not received yet): OpenLMIS must
 * not confirm the proof of delivery (irreversible: stock received, order RECEIVED). The connector
 * used to confirm whatever the status. Now an in-progress write saves the POD draft (quantities,
 * receiver, date) and answers in-progress; a later completed write confirms it. An abandoned or
 * entered-in-error write has no meaning on a proof of delivery: a 422 at SupplyDelivery.status,
 * nothing written. Through the real mediator, the OpenLMIS connector and its sandbox, both engines.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { shippedDelivery, startRigOn, why } from '../../../support/openlmis-e2e.js';

type Resource = Record<string, any>;

function received(read: Resource, status: string): Resource {
  const { meta: _meta, ...delivery } = structuredClone(read);
  delivery.status = status;
  delivery.occurrenceDateTime = '2026-11-30T09:15:00Z';
  delivery.receiver = [{ display: 'Nurse Achieng' }];
  for (const item of delivery.suppliedItem as Resource[])
    item.quantity = { ...item.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity };
  return delivery;
}

for (const engine of engineCases()) {
  t.test(
    `an in-progress delivery saves the proof of delivery's draft, never confirms it (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'DRAFT-POD', [
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      const path = `/fhir/R5/SupplyDelivery/${podId}`;
      const pod = () => rig.lmis.sb.state.store.pods.get(podId)!;

      for (const status of ['abandoned', 'entered-in-error']) {
        const refused = await rig.fhir('PUT', path, received(read, status));
        t.equal(refused.status, 422, `${status}: ${why(refused)}`);
        t.same(refused.body.issue?.[0]?.expression, ['SupplyDelivery.status'], `${status}: the element named`);
        t.match(refused.body.issue?.[0]?.diagnostics, /proof of delivery/, `${status}: says why`);
        t.equal(pod().status, 'INITIATED', `${status}: nothing written`);
        t.equal(pod().receivedBy ?? null, null, `${status}: no draft saved`);
      }

      const draft = await rig.fhir('PUT', path, received(read, 'in-progress'));
      t.equal(draft.status, 200, why(draft));
      t.equal(draft.body.status, 'in-progress', 'answered in-progress');
      t.equal(pod().status, 'INITIATED', 'the proof of delivery is not confirmed');
      t.match(pod(), { receivedBy: 'Nurse Achieng', receivedDate: '2026-11-30' }, 'its draft saved');
      t.ok(
        pod().lineItems.every((l: any) => typeof l.quantityAccepted === 'number'),
        'the draft holds the quantities',
      );

      // the confirmation of the same delivery after its draft is a write of its own, not a 409
      const done = await rig.fhir('PUT', path, received(read, 'completed'));
      t.equal(done.status, 200, why(done));
      t.equal(done.body.status, 'completed');
      const again = await rig.fhir('PUT', path, received(read, 'completed'));
      t.equal(again.status, 200, `the confirmation sent again is that write: ${why(again)}`);
      t.equal(pod().status, 'CONFIRMED', 'a completed write confirms it');
    },
  );
}
