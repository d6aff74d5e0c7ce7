/**
 * An app writes a delivery "in-progress" (on its way, not received yet) to Open mSupply: the
 * connector received the inbound shipment whatever the status (DELIVERED, lines, RECEIVED: stock
 * in). This integration keeps no draft of a receipt there, so an in-progress (or abandoned,
 * entered-in-error) write is a 422 at SupplyDelivery.status, nothing sent; the completed write
 * receives it. Through the real mediator and the Open mSupply sandbox, both store engines.
 */
import t from 'tap';
import { why } from '../../../support/openlmis-e2e.js';
import { shippedToStore, startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };

for (const engine of engineCases())
  t.test(`${engine.name}: an in-progress delivery does not receive the shipment`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    const { ms } = rig;
    const inbound = await shippedToStore(rig, { order: 'MS-INP-1', store: STORE, productCode: 'EM-AMX250', qty: 300 });
    const delivery = (await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound.id}`)).body;
    const shippedStatus = ms.state.invoices.get(inbound.id)!.status;
    const mutations = ms.state.applied.length;
    const written = (status: string) => {
      const body = structuredClone(delivery);
      body.status = status;
      for (const item of body.suppliedItem)
        item.quantity = { ...item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity };
      return body;
    };
    const path = `/fhir/R5/SupplyDelivery/${delivery.id}`;

    for (const status of ['in-progress', 'abandoned', 'entered-in-error']) {
      const put = await rig.fhir('PUT', path, written(status));
      t.equal(put.status, 422, `${status}: ${why(put)}`);
      t.same(put.body.issue?.[0]?.expression, ['SupplyDelivery.status'], `${status}: the element named`);
      t.match(put.body.issue?.[0]?.diagnostics, /Open mSupply/, `${status}: says why`);
      t.equal(ms.state.applied.length, mutations, `${status}: nothing sent to Open mSupply`);
      t.equal(ms.state.invoices.get(inbound.id)!.status, shippedStatus, `${status}: not received`);
    }

    const done = await rig.fhir('PUT', path, written('completed'));
    t.equal(done.status, 200, why(done));
    t.equal(ms.state.invoices.get(inbound.id)!.status, 'RECEIVED', 'the completed write receives it');
  });
