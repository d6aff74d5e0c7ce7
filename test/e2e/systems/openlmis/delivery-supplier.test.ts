/**
 * `SupplyDelivery?supplier=Location/[depot]` lists the deliveries that depot ships. OpenLMIS
 * deliveries (proofs of delivery) ignored the parameter, so any supplier, a clinic or a depot that
 * never shipped there, matched every delivery of the facility. Now a shipment matches the supplying
 * facility of its order. Through the OpenLMIS sandbox: an order released to LK-WH-301 and shipped.
 */
import t from 'tap';
import { orderLine, startRig, why } from '../../../support/openlmis-e2e.js';

t.test('a delivery matches the depot that supplies it, no other', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { lmis } = rig;
  const facilityId = lmis.seed.facilities['LK-HC-101'];
  const depot = lmis.seed.facilities['LK-WH-301'];
  const order = await rig.fhir(
    'POST',
    '/fhir/SupplyRequest',
    orderLine({ order: 'SUPDEL-1', facilityId, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
  );
  t.equal(order.status, 201, why(order));
  const [req] = lmis.sb.state
    .requisitionsByStatus()
    .filter((r: any) => r.facilityId === facilityId && r.programId === lmis.seed.programs.EM01 && !r.emergency);
  // authorized, approved and released to the depot LK-WH-301, then shipped
  const { orderId } = lmis.sb.state.releaseRequisition(req.id);
  lmis.sb.state.shipOrder(orderId);

  const deliveries = async (query: string) => {
    const res = await rig.fhir(
      'GET',
      `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${facilityId}`)}${query}`,
    );
    t.equal(res.status, 200, `${query}: ${why(res)}`);
    return (res.body.entry ?? []).map((e: any) => e.resource.id) as string[];
  };
  const all = await deliveries('');
  t.equal(all.length, 1, 'the shipment reads as a delivery');
  t.same(await deliveries(`&supplier=${encodeURIComponent(`Location/${depot}`)}`), all, 'the depot that ships it');
  t.same(await deliveries(`&supplier=${encodeURIComponent('Location/no-such-depot')}`), [], 'another depot');
  t.same(await deliveries(`&supplier=${encodeURIComponent(`Location/${facilityId}`)}`), [], 'the clinic itself');
});
