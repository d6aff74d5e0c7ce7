/**
 * A mobile app confirms a delivery of an order OpenLMIS has not shipped: the order still queued
 * for OpenLMIS (answered 202), or submitted and not shipped yet. There is no proof of delivery to
 * confirm: a 422 at SupplyDelivery.basedOn saying the order has not been shipped, nothing recorded.
 * It used to be at SupplyDelivery.identifier, telling the app to "base the delivery on a shipped
 * order" when it had. Once shipped, the same confirmation goes through. Through the OpenLMIS
 * sandbox, both engines.
 */
import t from 'tap';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../../src/fhir/conventions.js';
import { until } from '../../../support/net.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { ORDER_SYSTEM, orderLine, startRigOn, why } from '../../../support/openlmis-e2e.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a delivery of an order not shipped yet is refused at basedOn, saying so`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, { OUTBOX_DEADLINE_MS: '1500' });
      const { lmis } = rig;
      const facilityId = lmis.seed.facilities['LK-HC-104'];
      const line = orderLine({ order: 'MOB-NS-1', facilityId, program: 'EM01', productCode: 'EM-AMX250', qty: 300 });
      const outage = lmis.sb.faults.add({
        method: 'POST',
        path: '/api/requisitions/initiate',
        action: { type: 'status', status: 503 },
      });
      const queued = await rig.fhir('POST', '/fhir/SupplyRequest', line);
      t.equal(queued.status, 202, why(queued));
      const lineId = /SupplyRequest\/([0-9a-f]+)/.exec(queued.body.issue[0].diagnostics)![1];
      const delivery = (basedOn: Record<string, unknown>) => ({
        resourceType: 'SupplyDelivery',
        status: 'completed',
        identifier: [{ system: 'https://mobile.example.org/deliveries', value: 'DL-NS-1' }],
        basedOn: [basedOn],
        destination: { reference: `Location/${facilityId}` },
        suppliedItem: {
          quantity: { value: 3, unit: 'pack', system: UNIT_SYSTEM, code: 'pack' },
          itemCodeableConcept: line.itemCodeableConcept,
        },
      });
      const byLine = delivery({ reference: `SupplyRequest/${lineId}` });
      const byNumber = delivery({
        identifier: { type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDER_SYSTEM, value: 'MOB-NS-1' },
      });

      const jobsBefore = (await rig.mediator.store.listJobs({})).length;
      const whileQueued = await rig.fhir('POST', '/fhir/SupplyDelivery', byLine);
      t.equal(whileQueued.status, 422, why(whileQueued));
      t.match(whileQueued.body.issue, [
        {
          diagnostics: /no proof of delivery for the order named in basedOn at this facility: it has not been shipped/,
          expression: ['SupplyDelivery.basedOn'],
        },
      ]);
      t.equal((await rig.mediator.store.listJobs({})).length, jobsBefore, 'nothing recorded');

      lmis.sb.faults.remove(outage.id);
      const requisition = await until(
        'the queued order submitted',
        async () =>
          lmis.sb.state
            .requisitionsByStatus()
            .find((r: any) => r.facilityId === facilityId && r.status === 'SUBMITTED'),
        30_000,
      );
      const notShipped = await rig.fhir('POST', '/fhir/SupplyDelivery', byNumber);
      t.equal(notShipped.status, 422, why(notShipped));
      t.match(notShipped.body.issue, [
        {
          diagnostics: /order MOB-NS-1 at this facility: it has not been shipped/,
          expression: ['SupplyDelivery.basedOn'],
        },
      ]);

      const { orderId } = lmis.sb.state.releaseRequisition(requisition.id);
      const podId = lmis.sb.state.shipOrder(orderId).proofOfDeliveryId;
      const confirmed = await rig.fhir('POST', '/fhir/SupplyDelivery', byLine);
      t.equal(confirmed.status, 201, why(confirmed));
      t.equal(lmis.sb.state.store.pods.get(podId)!.status, 'CONFIRMED', 'once shipped, confirmed');
    },
  );
}
