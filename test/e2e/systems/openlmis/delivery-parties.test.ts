/**
 * Who received a delivery and who delivered it: OpenLMIS's proof of delivery keeps them as names
 * (receivedBy, deliveredBy), and no system here keeps a reference. A receiver or supplier given by
 * reference alone (a Practitioner, an Organization) was dropped without a word, and so was a
 * second receiver; the confirmation went on with the facility's name as receivedBy. Now each is a
 * 422 at the element, nothing written; a reference beside a name keeps the name. Through the real
 * mediator, the OpenLMIS connector and its sandbox, both engines.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { shippedDelivery, startRigOn, why, writesSince } from '../../../support/openlmis-e2e.js';

type Resource = Record<string, any>;

function received(read: Resource, parties: Resource): Resource {
  const { meta: _meta, ...delivery } = structuredClone(read);
  delivery.status = 'completed';
  delivery.occurrenceDateTime = '2026-11-30T09:15:00Z';
  for (const item of delivery.suppliedItem as Resource[])
    item.quantity = { ...item.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity };
  return { ...delivery, ...parties };
}

for (const engine of engineCases()) {
  t.test(
    `a receiver or supplier without a name is a 422; with one, the name is kept (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'PARTIES', [{ productCode: 'EM-ORS', qty: 100 }]);
      const path = `/fhir/R5/SupplyDelivery/${podId}`;
      const pod = () => rig.lmis.sb.state.store.pods.get(podId)!;
      const before = rig.lmis.sb.state.requestCount();

      for (const [label, parties, at] of [
        ['a receiver by reference', { receiver: [{ reference: 'Practitioner/nurse-achieng' }] }, 'receiver[0].display'],
        ['two receivers', { receiver: [{ display: 'Nurse Achieng' }, { display: 'Clerk Otieno' }] }, 'receiver[1]'],
        [
          'a supplier by identifier',
          { receiver: [{ display: 'Nurse Achieng' }], supplier: { identifier: { value: 'DRV-7' } } },
          'supplier.display',
        ],
      ] as const) {
        const res = await rig.fhir('PUT', path, received(read, parties));
        t.equal(res.status, 422, `${label}: ${why(res)}`);
        t.same(res.body.issue?.[0]?.expression, [`SupplyDelivery.${at}`], `${label}: named at ${at}`);
      }
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.equal(pod().status, 'INITIATED');

      const ok = await rig.fhir(
        'PUT',
        path,
        received(read, {
          receiver: [{ reference: 'Practitioner/nurse-achieng', display: 'Nurse Achieng' }],
          supplier: { reference: 'Organization/acme', display: 'Driver Banda' },
        }),
      );
      t.equal(ok.status, 200, why(ok));
      t.match(
        pod(),
        { status: 'CONFIRMED', receivedBy: 'Nurse Achieng', deliveredBy: 'Driver Banda' },
        'the names kept',
      );
    },
  );
}
