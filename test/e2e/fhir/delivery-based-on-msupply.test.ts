/**
 * SupplyDelivery `based-on` on Open mSupply: a shipment holds the requisition it was made for, so
 * a delivery names the lines of the order it fulfils (SupplyRequest/[id], the ids a SupplyRequest
 * search gives them) and a `based-on` search lists only the deliveries of that order. Open mSupply
 * deliveries ignored `based-on` and answered every delivery of the facility for any order line.
 * Through the Open mSupply sandbox (two orders of one facility, each shipped by the warehouse),
 * on both store engines.
 */
import t from 'tap';
import { why } from '../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { facilityOrder } from '../../support/msupply-facility-order.js';
import type { MsupplyState } from '../../../sandbox/msupply/state.js';

const STORE = 'store-hc-north';
const WAREHOUSE = 'store-wh-central';
const rule = { ...toStore(STORE), default: 'msupply' };

/** The facility's own order `number` of `itemId`, sent at its site and shipped by the warehouse. */
function shippedOrder(state: MsupplyState, number: string, itemId: string) {
  const { response } = facilityOrder(state, { id: `req-${number}`, store: STORE, supplier: WAREHOUSE, number, itemId });
  return state.shipResponseRequisition(response.id).inbound;
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a based-on search lists the deliveries of that order line alone`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, { orders: rule, deliveries: rule }, { OPENLMIS_BASE_URL: '' });
      const first = shippedOrder(rig.ms.state, 'BASED-1', 'item-amx250');
      const second = shippedOrder(rig.ms.state, 'BASED-2', 'item-pcm500');

      /** The one line of order `number`, as a SupplyRequest search lists it. */
      const orderLine = async (number: string) => {
        const found = await rig.fhir('GET', `/fhir/SupplyRequest?identifier=${number}`);
        t.equal(found.status, 200, why(found));
        t.equal(found.body.entry?.length, 1, `order ${number} has one line`);
        return found.body.entry?.[0]?.resource?.id as string;
      };
      const line1 = await orderLine('BASED-1');
      const line2 = await orderLine('BASED-2');

      const ids = async (query: string) => {
        const res = await rig.fhir('GET', query);
        t.equal(res.status, 200, `${query}: ${why(res)}`);
        return (res.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
      };
      const everything = await ids(`/fhir/R5/SupplyDelivery?destination=Location/${STORE}`);
      t.same(everything.sort(), [first.id, second.id].sort(), 'the facility has both deliveries');

      // each delivery names the line of the order it fulfils, by the id the SupplyRequest search gave
      const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${first.id}`);
      t.equal(read.status, 200, why(read));
      t.same(read.body.basedOn, [{ reference: `SupplyRequest/${line1}` }], 'based on the order line');
      const followed = await rig.fhir('GET', `/fhir/SupplyRequest/${line1}`);
      t.equal(followed.status, 200, `the line it names reads: ${why(followed)}`);

      const basedOn = (line: string) => `based-on=${encodeURIComponent(`SupplyRequest/${line}`)}`;
      t.same(await ids(`/fhir/R5/SupplyDelivery?${basedOn(line1)}`), [first.id], 'R5: the first order alone');
      t.same(await ids(`/fhir/R5/SupplyDelivery?${basedOn(line2)}`), [second.id], 'R5: the second order alone');
      t.same(await ids(`/fhir/R5/SupplyDelivery?${basedOn('no-such-line')}`), [], 'R5: no order, no delivery');
      const r4 = await rig.fhir('GET', `/fhir/SupplyDelivery?${basedOn(line2)}`);
      t.equal(r4.status, 200, why(r4));
      t.same(
        (r4.body.entry ?? []).map((e: { resource: { basedOn: unknown } }) => e.resource.basedOn),
        [[{ reference: `SupplyRequest/${line2}` }]],
        'R4: the line of the second order alone',
      );
      // the warehouse's view too: its outbound shipments, each read as the delivery
      const bySupplier = `supplier=${encodeURIComponent(`Location/${WAREHOUSE}`)}`;
      t.same(
        await ids(`/fhir/R5/SupplyDelivery?${bySupplier}&${basedOn(line1)}`),
        [first.id],
        "the supplier's search: the first order alone",
      );
    },
  );
