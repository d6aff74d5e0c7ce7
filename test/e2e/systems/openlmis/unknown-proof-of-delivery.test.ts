/**
 * A SupplyDelivery confirmation whose identifier, in the mediator's OpenLMIS proof-of-delivery
 * system, names a POD OpenLMIS does not hold (a typo, an id from another server), PUT under an id
 * of the client's: a 422 at SupplyDelivery.identifier, nothing recorded, the order's real POD left
 * as it was. Before, the POD was looked up from basedOn instead: the order's POD was confirmed
 * with the client's quantities, and the answer was a 201 under the client's id and POD number, a
 * second FHIR id for that POD. The same confirmation with the identifier as read then goes
 * through. Through the OpenLMIS sandbox, both engines.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { orderLine, startRigOn, why } from '../../../support/openlmis-e2e.js';

const UNKNOWN_POD = '00000000-0000-4000-8000-0000000000f1';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a confirmation naming a proof of delivery OpenLMIS does not hold is refused, not sent to the order's`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { lmis } = rig;
      const facilityId = lmis.seed.facilities['LK-HC-103'];
      const placed = await rig.fhir(
        'POST',
        '/fhir/SupplyRequest',
        orderLine({ order: 'MOB-POD-1', facilityId, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
      );
      t.equal(placed.status, 201, why(placed));
      const [requisition] = lmis.sb.state
        .requisitionsByStatus()
        .filter((r: any) => r.facilityId === facilityId && r.status === 'SUBMITTED');
      const { orderId } = lmis.sb.state.releaseRequisition(requisition.id);
      const podId = lmis.sb.state.shipOrder(orderId).proofOfDeliveryId;

      const found = await rig.fhir(
        'GET',
        `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${facilityId}`)}`,
      );
      const delivery = found.body.entry[0].resource;
      delete delivery.meta;
      delivery.status = 'completed';
      for (const item of delivery.suppliedItem)
        item.quantity = item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
      t.ok(delivery.basedOn?.length, 'the delivery as read names its order');

      const mistyped = structuredClone(delivery);
      mistyped.id = UNKNOWN_POD;
      mistyped.identifier[0].value = UNKNOWN_POD;
      const jobsBefore = (await rig.mediator.store.listJobs({})).length;
      const refused = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${UNKNOWN_POD}`, mistyped);
      t.equal(refused.status, 422, why(refused));
      t.same(refused.body.issue[0].expression, ['SupplyDelivery.identifier']);
      t.match(refused.body.issue[0].diagnostics, `OpenLMIS holds no proof of delivery ${UNKNOWN_POD}`);
      t.equal((await rig.mediator.store.listJobs({})).length, jobsBefore, 'nothing recorded');
      t.equal(lmis.sb.state.store.pods.get(podId)!.status, 'INITIATED', "the order's POD is not confirmed");
      const unknown = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${UNKNOWN_POD}`);
      t.equal(unknown.status, 404, 'no second id for the POD');

      const confirmed = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, delivery);
      t.equal(confirmed.status, 200, why(confirmed));
      t.equal(confirmed.body.identifier[0].value, podId);
      t.equal(lmis.sb.state.store.pods.get(podId)!.status, 'CONFIRMED');
    },
  );
}
