/**
 * A delivery confirmed through Open mSupply keeps the client's date received: the inbound shipment's
 * receivedDatetime is the confirmation's occurrenceDateTime (it was the moment the mediator marked it
 * RECEIVED, the client's date dropped), and the delivery reads with it. The same confirmation sent
 * again is in place (the same instant in another zone too); sent with another date it is a 409
 * naming SupplyDelivery.occurrenceDateTime, and nothing reaches Open mSupply. No receiver is kept
 * (Open mSupply has no place for one). Through the real mediator, connector and sandbox, both
 * store engines.
 */
import t from 'tap';
import { why } from '../../../support/openlmis-e2e.js';
import { shippedToStore, startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const RECEIVED = '2026-12-03T09:30:00+02:00';

for (const engine of engineCases())
  t.test(`${engine.name}: the date received is kept, and not changed after`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    const { ms } = rig;
    const inbound = await shippedToStore(rig, { order: 'MS-RCV-1', store: STORE, productCode: 'EM-AMX250', qty: 300 });
    const delivery = (await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound.id}`)).body;

    const { meta: _meta, ...confirm } = structuredClone(delivery);
    confirm.status = 'completed';
    confirm.occurrenceDateTime = RECEIVED;
    confirm.receiver = [{ display: 'Nurse Achieng' }];
    for (const item of confirm.suppliedItem)
      item.quantity = { ...item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity };
    const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirm);
    t.equal(put.status, 200, why(put));
    t.equal(ms.state.invoices.get(inbound.id)!.receivedDatetime, '2026-12-03T07:30:00.000Z', 'Open mSupply keeps it');
    const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${delivery.id}`);
    t.equal(read.body.status, 'completed');
    t.equal(Date.parse(read.body.occurrenceDateTime), Date.parse(RECEIVED), 'the delivery reads with the date sent');

    const mutations = ms.state.applied.length;
    const again = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirm);
    t.equal(again.status, 200, `the same confirmation again: ${why(again)}`);
    const otherZone = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, {
      ...confirm,
      occurrenceDateTime: '2026-12-03T07:30:00Z',
    });
    t.equal(otherZone.status, 200, `the same instant in UTC: ${why(otherZone)}`);
    const moved = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, {
      ...confirm,
      occurrenceDateTime: '2026-12-04T09:30:00+02:00',
    });
    t.equal(moved.status, 409, `another date: ${why(moved)}`);
    t.same(moved.body.issue?.[0]?.expression, ['SupplyDelivery.occurrenceDateTime']);
    t.match(moved.body.issue?.[0]?.diagnostics, /a completed delivery cannot be changed/);
    const posted2 = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', {
      ...confirm,
      id: undefined,
      occurrenceDateTime: '2026-12-04T09:30:00+02:00',
    });
    t.equal(posted2.status, 409, `POSTed with another date: ${why(posted2)}`);
    t.same(posted2.body.issue?.[0]?.expression, ['SupplyDelivery.occurrenceDateTime']);
    t.equal(ms.state.applied.length, mutations, 'nothing more sent to Open mSupply');
    t.equal(ms.state.invoices.get(inbound.id)!.receivedDatetime, '2026-12-03T07:30:00.000Z');
  });
