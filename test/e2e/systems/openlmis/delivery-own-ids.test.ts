/**
 * A mobile app that wrote its order line under its own id (the Android FHIR SDK's
 * `PUT SupplyRequest/[uuid]`) confirms the delivery of that order under its own delivery number,
 * based on the line by that id: OpenLMIS names the line by an id derived from the order number
 * and product, so the confirmation was a 422 "not shipped", though a based-on search by the same
 * id listed the delivery. And an app that lost the answer finds what it confirmed by its own
 * delivery number (`identifier=[system]|[number]`, or its number alone: any system), which
 * OpenLMIS, listing the proof of delivery under its own id, never matched. Through the OpenLMIS
 * sandbox, both engines.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { UNIT_SYSTEM } from '../../../../src/fhir/conventions.js';
import { until } from '../../../support/net.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { orderLine, startRigOn, why } from '../../../support/openlmis-e2e.js';

const DELIVERIES = 'https://mobile.example.org/deliveries';

for (const engine of engineCases())
  t.test(
    `${engine.name}: a delivery based on the app's own line id, found by its own number`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, {});
      const { lmis } = rig;
      const facilityId = lmis.seed.facilities['LK-HC-104'];
      const line = orderLine({ order: 'MOB-OWN-1', facilityId, program: 'EM01', productCode: 'EM-AMX250', qty: 300 });
      const appId = randomUUID();
      const put = await rig.fhir('PUT', `/fhir/SupplyRequest/${appId}`, { ...line, id: appId });
      t.equal(put.status, 201, why(put));
      const requisition = await until(
        'the order submitted',
        async () =>
          lmis.sb.state
            .requisitionsByStatus()
            .find((r: any) => r.facilityId === facilityId && r.status === 'SUBMITTED'),
        30_000,
      );
      const { orderId } = lmis.sb.state.releaseRequisition(requisition.id);
      const podId = lmis.sb.state.shipOrder(orderId).proofOfDeliveryId;

      const confirmed = await rig.fhir('POST', '/fhir/SupplyDelivery', {
        resourceType: 'SupplyDelivery',
        status: 'completed',
        identifier: [{ system: DELIVERIES, value: 'DL-OWN-1' }],
        basedOn: [{ reference: `SupplyRequest/${appId}` }],
        destination: { reference: `Location/${facilityId}` },
        suppliedItem: {
          quantity: { value: 3, unit: 'pack', system: UNIT_SYSTEM, code: 'pack' },
          itemCodeableConcept: line.itemCodeableConcept,
        },
      });
      t.equal(confirmed.status, 201, why(confirmed));
      t.equal(lmis.sb.state.store.pods.get(podId)!.status, 'CONFIRMED', 'its proof of delivery is confirmed');

      const search = (q: string) => rig.fhir('GET', `/fhir/SupplyDelivery?${q}`);
      const own = await search(`identifier=${encodeURIComponent(`${DELIVERIES}|DL-OWN-1`)}`);
      t.equal(own.status, 200, why(own));
      t.same(
        (own.body.entry ?? []).map((e: any) => [e.resource.id, e.resource.identifier[0].value]),
        [[confirmed.body.id, 'DL-OWN-1']],
        'by its own number: the delivery it confirmed, once',
      );
      const other = await search(`identifier=${encodeURIComponent(`${DELIVERIES}|DL-OWN-2`)}`);
      t.same(other.body.entry ?? [], [], 'not under another number');

      // FHIR: a token without a system matches the value in any system; `|value`, one with none
      const anySystem = await search('identifier=DL-OWN-1');
      t.equal(anySystem.status, 200, why(anySystem));
      t.same(
        (anySystem.body.entry ?? []).map((e: any) => [e.resource.id, e.resource.identifier[0].value]),
        [[confirmed.body.id, 'DL-OWN-1']],
        'by its number without a system: the same delivery, once (before: none)',
      );
      t.same((await search('identifier=DL-OWN-2')).body.entry ?? [], [], 'not under another number in any system');
      const noSystem = await search(`identifier=${encodeURIComponent('|DL-OWN-1')}`);
      t.equal(noSystem.status, 200, why(noSystem));
      t.same(noSystem.body.entry ?? [], [], '`|DL-OWN-1`: an identifier with no system, which it has not');
      const byPod = await search(`identifier=${podId}`);
      t.same(
        (byPod.body.entry ?? []).map((e: any) => e.resource.id),
        [confirmed.body.id],
        "by OpenLMIS's own number without a system: found",
      );
      const byPodNoSystem = await search(`identifier=${encodeURIComponent(`|${podId}`)}`);
      t.equal(byPodNoSystem.status, 200, why(byPodNoSystem));
      t.same(byPodNoSystem.body.entry ?? [], [], "`|[its number]`: OpenLMIS's number has a system (before: found)");
    },
  );
