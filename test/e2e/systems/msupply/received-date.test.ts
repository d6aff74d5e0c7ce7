/**
 * A delivery confirmed through Open mSupply with a date received (what FHIR apps send) is
 * received, and the date is not kept. Open mSupply's UpdateInboundShipmentInput.receivedDatetime
 * is backdating (validate.rs): refused unless the store's backdating preference is on, the
 * shipment is already received, the date earlier than the one it has and within maxDays; sent
 * with the RECEIVED update it was refused and the stock never received. So the RECEIVED update
 * carries no date, the shipment's receivedDatetime is Open mSupply's own stamp, and the delivery
 * reads with that stamp; a resend with another date is the same confirmation (200, nothing sent),
 * as a date not kept is never compared. With backdating on too, and a bare day. Through the real
 * mediator, connector and faithful sandbox, both store engines.
 */
import t from 'tap';
import { why } from '../../../support/openlmis-e2e.js';
import { shippedToStore, startMsupplyRigOn, toStore, type MsupplyRig } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };

/** The shipped delivery as the app confirms it: completed, each line accepted as shipped, dated. */
async function confirmation(rig: MsupplyRig, order: string, occurrenceDateTime: string) {
  const inbound = await shippedToStore(rig, { order, store: STORE, productCode: 'EM-AMX250', qty: 300 });
  const delivery = (await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound.id}`)).body;
  const { meta: _meta, ...confirm } = structuredClone(delivery);
  confirm.status = 'completed';
  confirm.occurrenceDateTime = occurrenceDateTime;
  for (const item of confirm.suppliedItem)
    item.quantity = { ...item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity };
  return { id: inbound.id as string, confirm };
}

const backdates = (rig: MsupplyRig) => rig.ms.state.applied.filter((a) => a.mutation === 'updateInboundShipment');

for (const engine of engineCases()) {
  t.test(`${engine.name}: received with a date; Open mSupply's own stamp kept`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    const { ms } = rig;
    const { id, confirm } = await confirmation(rig, 'MS-RCV-1', '2026-12-03T09:30:00+02:00');
    const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${id}`, confirm);
    t.equal(put.status, 200, why(put));
    const shipment = ms.state.invoices.get(id)!;
    t.equal(shipment.status, 'RECEIVED', 'the stock is received');
    t.ok(
      Date.parse(shipment.receivedDatetime!) >= Date.parse(shipment.deliveredDatetime!),
      "Open mSupply's own stamp (after its delivered one), not the client's date",
    );
    const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${id}`);
    t.equal(read.body.status, 'completed');
    t.equal(Date.parse(read.body.occurrenceDateTime), Date.parse(shipment.receivedDatetime!), 'reads with that stamp');

    const mutations = ms.state.applied.length;
    const again = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${id}`, confirm);
    t.equal(again.status, 200, `the same confirmation again: ${why(again)}`);
    const moved = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${id}`, {
      ...confirm,
      occurrenceDateTime: '2026-12-04T09:30:00+02:00',
    });
    t.equal(moved.status, 200, `another date, not kept, so not compared: ${why(moved)}`);
    t.equal(ms.state.applied.length, mutations, 'nothing more sent to Open mSupply');
    t.equal(ms.state.invoices.get(id)!.receivedDatetime, shipment.receivedDatetime);
  });

  t.test(`${engine.name}: with backdating on, still no backdate sent`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    rig.ms.state.backdating = { shipmentsEnabled: true, maxDays: 0 };
    for (const [order, date] of [
      ['MS-RCV-2', '2026-12-03T09:30:00+02:00'],
      ['MS-RCV-3', '2026-12-03'],
    ]) {
      const { id, confirm } = await confirmation(rig, order, date);
      const before = backdates(rig).length;
      const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${id}`, confirm);
      t.equal(put.status, 200, `${date}: ${why(put)}`);
      const shipment = rig.ms.state.invoices.get(id)!;
      t.equal(shipment.status, 'RECEIVED', `${date}: received`);
      t.equal(backdates(rig).length - before, 2, `${date}: DELIVERED and RECEIVED, no third (backdating) update`);
      t.ok(
        Date.parse(shipment.receivedDatetime!) >= Date.parse(shipment.deliveredDatetime!),
        `${date}: Open mSupply's stamp, after its delivered one, not moved to the client's date`,
      );
    }
  });
}
