/**
 * An integration user who may act in the warehouse alone reads by id what a supplier search
 * listed. The warehouse's copies of an order (the response requisition) and of a delivery (the
 * outbound shipment) read as the facility's (the request, the inbound shipment), under their ids:
 * a read by such an id looked only in the stores the user may act in, where the facility's copy
 * is not, and answered 404. It now reads through the warehouse's copy linked to it, and only
 * for an id a search listed: a read of an unknown id costs one call per store, as before. Through
 * the Open mSupply sandbox (a facility's own request, sent from its site), on both store engines.
 */
import t from 'tap';
import { why } from '../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { facilityOrder } from '../../support/msupply-facility-order.js';

const STORE = 'store-hc-north';
const WAREHOUSE = 'store-wh-central';
const rule = { ...toStore(STORE), default: 'msupply' };
const bySupplier = `supplier=${encodeURIComponent(`Location/${WAREHOUSE}`)}`;

for (const engine of engineCases())
  t.test(
    `${engine.name}: a user of the warehouse alone reads by id what its supplier search lists`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, { orders: rule, deliveries: rule }, { OPENLMIS_BASE_URL: '' });
      const state = rig.ms.state;
      state.users.get('mediator')!.storeIds = [WAREHOUSE];
      // the facility's own order, made and sent at its site; the transfer processor gives the warehouse its copy
      const { response } = facilityOrder(state, {
        id: 'req-facility-1',
        store: STORE,
        supplier: WAREHOUSE,
        number: 'FACILITY-1',
        itemId: 'item-amx250',
      });
      t.ok(response, "the warehouse's response requisition");

      /** The one resource a supplier search lists, and a read of it by its id. */
      const listedThenRead = async (path: string) => {
        const listed = await rig.fhir('GET', `${path}?${bySupplier}`);
        t.equal(listed.status, 200, `${path} search: ${why(listed)}`);
        const entries = listed.body.entry ?? [];
        t.equal(entries.length, 1, `${path}: the supplier search lists it`);
        const resource = entries[0]?.resource;
        const read = await rig.fhir('GET', `${path}/${resource?.id}`);
        t.equal(read.status, 200, `${path}: read by the id listed: ${why(read)}`);
        t.equal(read.body?.meta?.versionId, resource?.meta?.versionId, `${path}: the version listed`);
        return resource;
      };

      const order = await listedThenRead('/fhir/SupplyRequest');
      t.equal(order?.deliverTo?.reference, `Location/${STORE}`, 'the order is to the facility');

      const { inbound } = state.shipResponseRequisition(response.id);
      const r5 = await listedThenRead('/fhir/R5/SupplyDelivery');
      t.equal(r5?.id, inbound!.id, "the delivery under the inbound shipment's id");
      await listedThenRead('/fhir/SupplyDelivery');

      // a read of an id no search listed asks each store for it by id, and no more: the
      // warehouse's copies (every response requisition of the store, the outbound shipment
      // linked to it) are looked through only for an id behind a link
      const unknownRead = async (path: string) => {
        const from = rig.ms.calls.length;
        const read = await rig.fhir('GET', path);
        t.equal(read.status, 404, `${path}: ${why(read)}`);
        return rig.ms.calls.slice(from).map((c) => c.operation);
      };
      t.same(await unknownRead('/fhir/SupplyRequest/no-such-order'), ['requisition'], 'an unknown order: one call');
      t.same(await unknownRead('/fhir/SupplyDelivery/no-such-delivery'), ['invoices'], 'an unknown delivery: one call');
      t.same(await unknownRead('/fhir/R5/SupplyDelivery/no-such-delivery'), ['invoices'], 'R5 too');
    },
  );
