/**
 * A delivery confirmed after its inbound shipment was cancelled in Open mSupply: a 409 saying the
 * shipment was cancelled there, before anything is sent (not Open mSupply's CannotEditInvoice on
 * a line update), and the shipment stays as it was. Through the real mediator, both store engines.
 */
import t from 'tap';
import { why } from '../../../support/openlmis-e2e.js';
import { shippedToStore, startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };

for (const engine of engineCases())
  t.test(`${engine.name}: a cancelled shipment is not received`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    const { ms } = rig;
    const inbound = await shippedToStore(rig, { order: 'MS-CXL-1', store: STORE, productCode: 'EM-AMX250', qty: 300 });
    const delivery = (await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound.id}`)).body;
    ms.state.invoices.get(inbound.id)!.status = 'CANCELLED';
    const mutations = ms.state.applied.length;

    const confirm = structuredClone(delivery);
    confirm.status = 'completed';
    for (const item of confirm.suppliedItem)
      item.quantity = { ...item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity };
    const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, confirm);
    t.equal(put.status, 409, why(put));
    t.match(put.body.issue?.[0]?.diagnostics, /was cancelled in Open mSupply/);
    t.same(put.body.issue?.[0]?.expression, ['SupplyDelivery.identifier']);
    t.equal(ms.state.applied.length, mutations, 'nothing sent to Open mSupply');
    t.equal(ms.state.invoices.get(inbound.id)!.status, 'CANCELLED');
  });
